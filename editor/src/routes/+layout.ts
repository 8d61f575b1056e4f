// A single-page app: rendered in the browser only, every route falls back to index.html.
export const ssr = false;
export const prerender = false;
