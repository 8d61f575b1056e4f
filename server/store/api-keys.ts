/**
 * The API keys table: keys by hash, their creation, use, revocation and
 * listing. Keys are never deleted; only a hash of each key is stored.
 */
import type { Kysely } from 'kysely';
import type { ApiKeyRecord, Role } from './records';
import type { Database } from './schema';

export class KeyRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async keyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && keyRecord(row);
  }

  async insertKey(record: ApiKeyRecord, hash: string): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: record.id,
        name: record.name,
        role: record.role,
        key_hash: hash,
        created_at: record.createdAt,
        revoked_at: record.revokedAt,
        expires_at: record.expiresAt,
        last_used_at: record.lastUsedAt,
      })
      .execute();
  }

  /** Records that a key was accepted at `at`, unless a later use is recorded already (by another server). */
  async recordKeyUse(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .execute();
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(keyRecord);
  }

  /** Revokes a key; false when no such active key. */
  async revokeKey(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * What changes whenever a key is created or revoked (keys are never deleted):
   * how many there are and how many are revoked. A server compares it to
   * notice changes made through another server.
   */
  async keysFingerprint(): Promise<string> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => [eb.fn.countAll().as('keys'), eb.fn.count('revoked_at').as('revoked')])
      .executeTakeFirstOrThrow();
    return `${Number(row.keys)}/${Number(row.revoked)}`;
  }

  async countActiveKeys(role: Role): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('role', '=', role)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function keyRecord(row: Database['api_keys']): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at ?? null,
    lastUsedAt: row.last_used_at ?? null,
  };
}
