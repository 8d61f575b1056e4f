import { redirect } from '@sveltejs/kit';

// The start page: the dashboard (pages the role cannot see send it on from there).
export function load(): never {
  redirect(307, '/dashboard');
}
