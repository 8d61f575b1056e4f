/** Stand-in for SvelteKit's $app/navigation in component tests: navigation is recorded, not performed. */
export const navigations: string[] = [];

export async function goto(url: string): Promise<void> {
  navigations.push(url);
}
