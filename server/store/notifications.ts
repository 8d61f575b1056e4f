/**
 * Word between servers sharing a PostgreSQL database that a shared setting
 * changed (an activation, a challenger, an API key), so each reloads it from
 * the database at once instead of at its next periodic re-check. PostgreSQL
 * LISTEN/NOTIFY: a notice is sent after the change has committed and is only
 * a hint to read the database again, never the change itself, so a notice
 * lost (while a listener reconnects) costs time, not correctness. The
 * listener holds a session of its own, outside the pool: LISTEN needs one,
 * which a transaction-mode pooler (PgBouncer) does not keep, so it may be
 * given a direct URL. On SQLite one server owns the database and there is
 * no one to tell.
 */
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

export const SETTINGS_CHANGES = ['activation', 'keys'] as const;
/** What changed: the active or challenger rule set, or the API keys. */
export type SettingsChange = (typeof SETTINGS_CHANGES)[number];

/** The PostgreSQL channel of these notices. */
export const SETTINGS_CHANNEL = 'leadflow_settings';
/** Pause before a lost listener connection is opened again. */
const RECONNECT_MS = 1_000;

/**
 * Receives notices: a change, or `missed` after the listener (re)connected,
 * when notices sent meanwhile may be lost and everything should be read again.
 */
export type SettingsListener = (change: SettingsChange | 'missed') => void;

export interface SettingsChannel {
  /** Tells every server (this one too) that a setting changed; call after the change committed. Never rejects. */
  publish(change: SettingsChange): Promise<void>;
  /** Listens until the returned stop is called. */
  subscribe(listener: SettingsListener): Promise<() => Promise<void>>;
}

/** The channel of a SQLite store: one server, nothing to send. */
export const localSettingsChannel: SettingsChannel = {
  publish: async () => {},
  subscribe: async () => async () => {},
};

const isChange = (payload: string | undefined): payload is SettingsChange => SETTINGS_CHANGES.includes(payload as SettingsChange);

/** LISTEN/NOTIFY on `channel`; notices go out through the store's pool, the listener connects to `listenUrl`. */
export function postgresSettingsChannel(db: Kysely<Database>, listenUrl: string, channel = SETTINGS_CHANNEL): SettingsChannel {
  return {
    async publish(change) {
      try {
        await sql`select pg_notify(${channel}, ${change})`.execute(db);
      } catch (error) {
        // The change is committed; other servers see it at their next re-check.
        process.emitWarning(`could not notify other servers of a ${change} change: ${(error as Error).message}`);
      }
    },

    async subscribe(listener) {
      let stopped = false;
      let client: pg.Client | undefined;
      let retry: NodeJS.Timeout | undefined;
      const connect = async (): Promise<void> => {
        const next = new pg.Client({ connectionString: listenUrl });
        const lost = (error?: Error) => {
          if (client !== next || stopped) return;
          client = undefined;
          next.removeAllListeners('notification');
          // The connection is already broken; closing it can only fail the same way.
          void next.end().catch(() => {});
          if (error) process.emitWarning(`settings listener lost its connection: ${error.message}`);
          retry = setTimeout(() => void connect(), RECONNECT_MS);
          retry.unref();
        };
        client = next;
        next.on('error', lost);
        next.on('end', () => lost(new Error('connection ended')));
        next.on('notification', (message) => {
          if (message.channel === channel && isChange(message.payload)) listener(message.payload);
        });
        try {
          await next.connect();
          await next.query(`listen ${channel}`);
        } catch (error) {
          lost(error as Error);
          return;
        }
        // Whatever was notified while no one listened is lost: read everything again.
        listener('missed');
      };
      await connect();
      return async () => {
        stopped = true;
        clearTimeout(retry);
        await client?.end().catch(() => {});
      };
    },
  };
}
