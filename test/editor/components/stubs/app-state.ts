/** Stand-in for SvelteKit's $app/state in component tests. */
export const page = { url: new URL('http://localhost/'), params: {} as Record<string, string> };
