/**
 * The signed-in user: an API key and the role it carries, kept for the
 * browser tab (sessionStorage) and shared through a Svelte context.
 */
import { getContext, setContext } from 'svelte';
import { Api, ApiError, ROLES, type Identity, type Role } from './api';
import { can, type Action } from './permissions';

const KEY = Symbol('session');
const STORAGE_KEY = 'leadflow.session';

interface Stored {
  key: string;
  name: string;
  role: Role;
}

function readStored(): Stored | null {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    if (value && typeof value === 'object') {
      const { key, name, role } = value as Partial<Stored>;
      if (typeof key === 'string' && typeof name === 'string' && (ROLES as readonly string[]).includes(role as string)) {
        return { key, name, role: role as Role };
      }
    }
  } catch {
    // A damaged entry counts as signed out.
  }
  return null;
}

export class Session {
  #stored = $state<Stored | null>(readStored());
  /** Set when the server stopped accepting the key, so the sign-in page can say why. */
  expired = $state(false);

  readonly api = $derived(this.#stored ? new Api(this.#stored.key, { onUnauthorized: () => this.#expire() }) : null);
  readonly role = $derived<Role | null>(this.#stored?.role ?? null);
  readonly name = $derived(this.#stored?.name ?? '');
  readonly signedIn = $derived(this.#stored !== null);

  can = (action: Action): boolean => can(this.role, action);

  /** Checks the key with the server and remembers it; throws an ApiError when it is refused. */
  async signIn(key: string): Promise<Identity> {
    const trimmed = key.trim();
    if (!trimmed) throw new ApiError(401, 'Unauthorized', '');
    const identity = await new Api(trimmed).identify();
    this.#stored = { key: trimmed, name: identity.name, role: identity.role };
    this.expired = false;
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.#stored));
    return identity;
  }

  signOut(): void {
    this.#stored = null;
    sessionStorage.removeItem(STORAGE_KEY);
  }

  #expire(): void {
    this.expired = true;
    this.signOut();
  }
}

export function setSession(session: Session): Session {
  return setContext(KEY, session);
}

export function getSession(): Session {
  const session = getContext<Session | undefined>(KEY);
  if (!session) throw new Error('getSession() outside the session context');
  return session;
}

/** The API client of the signed-in user; pages are only shown signed in. */
export function useApi(): () => Api {
  const session = getSession();
  return () => {
    if (!session.api) throw new ApiError(401, 'Unauthorized', 'Not signed in.');
    return session.api;
  };
}
