/** `leadflow serve` arguments: --port, --db, --rules-dir, --host, --demo, --quiet, --tick-every, --webhook-every, --webhook-retention. */
import { parseArgs } from 'node:util';
import { DEFAULT_WEBHOOK_RETENTION_MS } from './config';
import type { ServeOptions } from './index';

/** Thrown for a bad value; the code matches node's own argument errors so the CLI prints just the message. */
class ServeArgumentError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as `500ms`, `30s`, `1m`, `1h`, `30d`; null if it is not one. */
function durationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  return match ? Math.round(Number(match[1]) * UNIT_MS[match[2]!]!) : null;
}

/** Where the webhook retention comes from when `serve --webhook-retention` is not given. */
export const WEBHOOK_RETENTION_ENV = 'LEADFLOW_WEBHOOK_RETENTION';

/**
 * The webhook retention in ms from `text` (a duration from 1 hour to 10 years,
 * such as `30d` or `12h`); throws naming `source` (the option or the
 * environment variable) otherwise.
 */
export function webhookRetentionMs(text: string, source: string): number {
  const ms = durationMs(text);
  if (ms === null || ms < 3_600_000 || ms > 3_650 * 86_400_000)
    throw new ServeArgumentError(`${source} must be a duration from 1h to 3650d (12h, 7d, 30d), not "${text}"`);
  return ms;
}

/** The webhook retention LEADFLOW_WEBHOOK_RETENTION sets (as `--webhook-retention` reads it), else the default. */
export function retentionFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[WEBHOOK_RETENTION_ENV];
  return text ? webhookRetentionMs(text, WEBHOOK_RETENTION_ENV) : DEFAULT_WEBHOOK_RETENTION_MS;
}

/** `leadflow serve --help`. */
export const SERVE_USAGE = `Usage: leadflow serve [options]

Options:
  -p, --port <n>                 Port to listen on (default 8787; 0 picks a free one)
  --host <address>               Interface to listen on (default all)
  --db <file|postgres://…>       SQLite file (default data/leadflow.db) or PostgreSQL URL
  --rules-dir <dir>              Where rules/vN.json live (default ./rules)
  --demo                         Load generated demo leads into an empty database
  -q, --quiet                    No logs
  --tick-every <duration|off>    How often time-based changes are applied (default 1m)
  --webhook-every <duration>     How often webhook messages are sent (default 1s)
  --webhook-retention <duration> How long delivered and given-up webhook messages and their
                                 delivery log are kept (default 30d; env LEADFLOW_WEBHOOK_RETENTION)
  -h, --help                     This text

Environment: LEADFLOW_ADMIN_KEY, LEADFLOW_PG_DIRECT_URL, LEADFLOW_WEBHOOK_ALLOW_HOSTS, LEADFLOW_WEBHOOK_RETENTION.
`;

/** Turns `serve` arguments into {@link ServeOptions}; throws on unknown options or bad values. */
export function parseServeArgs(argv: string[]): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', short: 'p' },
      db: { type: 'string' },
      'rules-dir': { type: 'string' },
      host: { type: 'string' },
      demo: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      'tick-every': { type: 'string' },
      'webhook-every': { type: 'string' },
      'webhook-retention': { type: 'string' },
    },
  });
  const options: ServeOptions = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535)
      throw new ServeArgumentError(`--port must be a number from 0 to 65535, not "${values.port}"`);
    options.port = port;
  }
  if (values.db !== undefined) {
    if (!values.db) throw new ServeArgumentError('--db needs a SQLite file path or a postgres:// URL');
    options.db = values.db;
  }
  if (values['rules-dir'] !== undefined) options.rulesDir = values['rules-dir'];
  if (values.host !== undefined) options.host = values.host;
  if (values.demo) options.demo = true;
  if (values.quiet) options.log = false;
  if (values['tick-every'] !== undefined) {
    const off = values['tick-every'] === 'off';
    const ms = off ? 0 : durationMs(values['tick-every']);
    if (ms === null || (!off && (ms < 10 || ms > 86_400_000)))
      throw new ServeArgumentError(
        `--tick-every must be a duration from 10ms to 24h (500ms, 30s, 1m, 1h) or off, not "${values['tick-every']}"`,
      );
    options.tickEveryMs = ms;
  }
  if (values['webhook-every'] !== undefined) {
    const ms = durationMs(values['webhook-every']);
    if (ms === null || ms < 10 || ms > 86_400_000)
      throw new ServeArgumentError(`--webhook-every must be a duration from 10ms to 24h (500ms, 1s, 1m), not "${values['webhook-every']}"`);
    options.webhookEveryMs = ms;
  }
  if (values['webhook-retention'] !== undefined)
    options.webhookRetentionMs = webhookRetentionMs(values['webhook-retention'], '--webhook-retention');
  return options;
}
