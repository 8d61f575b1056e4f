/** Stand-in for SvelteKit's $app/paths in component tests: the app is served at the root. */
export function resolve(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\[(\w+)\]/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}
