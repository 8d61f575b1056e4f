import { redirect } from '@sveltejs/kit';

// The admin area opens on its first page, the API keys.
export function load(): never {
  redirect(307, '/admin/keys');
}
