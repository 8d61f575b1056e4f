/**
 * API keys: random 32-byte keys, shown once and stored only as a SHA-256
 * hash, each with one role. `Authorization: Bearer <key>`.
 */
import { hash, randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { KEY_CACHE_SIZE, KEY_CACHE_TTL_MS, KEY_USE_RECORD_EVERY_MS, MIN_ADMIN_KEY_LENGTH } from './config';
import { ApiProblem } from './problem';
import { isUniqueViolation, type ApiKeyRecord, type Role, type Store } from './store/index';
import type { AppEnv } from './context';

const KEY_PREFIX = 'lf_';
/** The name of the admin key taken from LEADFLOW_ADMIN_KEY: a new one given there replaces the keys of this name. */
const ENV_ADMIN_NAME = 'admin (from LEADFLOW_ADMIN_KEY)';

/** The operator's admin key is too short to be safe; the server does not start. */
export class WeakAdminKeyError extends Error {
  override name = 'WeakAdminKeyError';
  constructor(length: number) {
    super(
      `LEADFLOW_ADMIN_KEY has ${length} characters; an admin key needs at least ${MIN_ADMIN_KEY_LENGTH}. ` +
        'Use a long random key (for example: openssl rand -base64 32), or leave it unset to have one generated.',
    );
  }
}

export function hashKey(key: string): string {
  // The one-shot hash: a quarter of the cost of a Hash object, paid on every request.
  return hash('sha256', key, 'hex');
}

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Looks keys up by hash, remembering answers (unknown keys too) briefly so a
 * request costs no query. A key created or revoked through another server
 * sharing the database reaches this one by a notice that empties the cache
 * ({@link KeyRing.forget}, see SettingsSync); without the notice, answers
 * expire after {@link KEY_CACHE_TTL_MS}. The cache keeps hashes, never keys,
 * and at most {@link KEY_CACHE_SIZE} of them.
 */
export class KeyRing {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();
  /** When this server last recorded each key's use (ms), by key id. */
  private readonly usesRecorded = new Map<string, number>();

  constructor(private readonly store: Store) {}

  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    const hashed = hashKey(key);
    const now = Date.now();
    const cached = this.cache.get(hashed);
    if (cached && cached.until > now) return cached.record;
    const record = await this.store.keys.keyByHash(hashed);
    this.cache.delete(hashed);
    // Full: the oldest answer goes first.
    if (this.cache.size >= KEY_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hashed, { record, until: now + KEY_CACHE_TTL_MS });
    return record;
  }

  /**
   * Records that key `id` was accepted at `at`, but at most once every
   * {@link KEY_USE_RECORD_EVERY_MS} per key on this server: a key's last use
   * is known to the minute, and a busy key costs one write a minute, not one
   * per request. A failed write is tried again on the key's next request.
   */
  async noteUse(id: string, at: Date): Promise<void> {
    const recorded = this.usesRecorded.get(id);
    if (recorded !== undefined && at.getTime() - recorded < KEY_USE_RECORD_EVERY_MS) return;
    this.usesRecorded.delete(id);
    if (this.usesRecorded.size >= KEY_CACHE_SIZE) this.usesRecorded.delete(this.usesRecorded.keys().next().value!);
    this.usesRecorded.set(id, at.getTime());
    try {
      await this.store.keys.recordKeyUse(id, at.toISOString());
    } catch (error) {
      this.usesRecorded.delete(id);
      throw error;
    }
  }

  /** Creates a key (one that expires at `expiresAt`, if given); the plain key is returned here and never again. */
  async create(
    name: string,
    role: Role,
    at: string,
    { key = generateKey(), expiresAt = null }: { key?: string; expiresAt?: string | null } = {},
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const record: ApiKeyRecord = { id: randomUUID(), name, role, createdAt: at, revokedAt: null, expiresAt, lastUsedAt: null };
    await this.store.keys.insertKey(record, hashKey(key));
    this.cache.delete(hashKey(key));
    await this.store.settings.publish('keys');
    return { record, key };
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const revoked = await this.store.keys.revokeKey(id, at);
    if (revoked) {
      this.cache.clear();
      await this.store.settings.publish('keys');
    }
    return revoked;
  }

  /** Forgets every remembered answer: keys changed through another server. */
  forget(): void {
    this.cache.clear();
  }

  /**
   * Makes sure an admin can get in: a key given by the operator is added if
   * new, and replaces the one given before (revoked); with none given and no
   * admin key stored, one is generated. Returns a generated key (to print
   * once), else undefined. Throws {@link WeakAdminKeyError} for a short key.
   */
  async ensureAdmin(given: string | undefined, at: string): Promise<string | undefined> {
    if (given !== undefined && given !== '') {
      if (given.length < MIN_ADMIN_KEY_LENGTH) throw new WeakAdminKeyError(given.length);
      if (!(await this.store.keys.keyByHash(hashKey(given)))) {
        // Servers starting together on a new database each add it: the first one stands. A key stored
        // before (revoked: an older LEADFLOW_ADMIN_KEY, say on a server not yet restarted) replaces nothing.
        const created = await this.create(ENV_ADMIN_NAME, 'admin', at, { key: given }).catch((error: unknown) => {
          if (!isUniqueViolation(error)) throw error;
          return undefined;
        });
        for (const old of created ? await this.store.keys.listKeys() : []) {
          const replaced = old.name === ENV_ADMIN_NAME && old.role === 'admin' && old.revokedAt === null && old.id !== created!.record.id;
          if (replaced) await this.revoke(old.id, at);
        }
      }
      return undefined;
    }
    if ((await this.store.keys.countActiveKeys('admin')) > 0) return undefined;
    return (await this.create('first admin', 'admin', at)).key;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Lets the request through only with a valid key of one of `roles`; admin
 * keys may do everything. The key itself never appears in a reply or a log.
 * The returned check throws the 401 or 403 problem, else records the key.
 */
export function requireRole(...roles: Role[]): (c: Context<AppEnv>) => Promise<void> {
  const allowed = new Set<Role>([...roles, 'admin']);
  return async (c) => {
    const match = BEARER.exec(c.req.header('Authorization') ?? '');
    const record = match ? await c.get('services').keys.verify(match[1]!) : undefined;
    if (!record) {
      c.header('WWW-Authenticate', 'Bearer realm="leadflow"');
      throw new ApiProblem(401, 'unauthorized', match ? 'The API key is not valid.' : 'Send an API key as "Authorization: Bearer <key>".', [
        { path: 'headers.authorization', message: match ? 'unknown or revoked key' : 'missing bearer key' },
      ]);
    }
    // Compared as instants: both are ISO times from Date, but a stored time need not share the spelling.
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= c.get('services').now().getTime()) {
      c.header('WWW-Authenticate', 'Bearer realm="leadflow", error="invalid_token", error_description="expired"');
      throw new ApiProblem(401, 'unauthorized', `The API key expired at ${record.expiresAt}; ask an admin for a new one.`, [
        { path: 'headers.authorization', message: `key expired at ${record.expiresAt}` },
      ]);
    }
    if (!allowed.has(record.role)) {
      throw new ApiProblem(
        403,
        'forbidden',
        `This request needs a key with role ${[...allowed].join(' or ')}; this key has role ${record.role}.`,
        [{ path: 'headers.authorization', message: `role ${record.role} is not allowed here` }],
      );
    }
    c.set('apiKey', record);
    const { keys, logger, now } = c.get('services');
    // Knowing when a key was last used is worth less than the request: a failed write is logged, not answered.
    await keys
      .noteUse(record.id, now())
      .catch((error: unknown) => logger.warn({ err: error, key: record.id }, 'recording the use of a key failed'));
  };
}
