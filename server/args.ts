/** `leadflow serve` arguments: --port, --db, --rules-dir, --host, --demo, --quiet, --tick-every, --webhook-every. */
import { parseArgs } from 'node:util';
import type { ServeOptions } from './index';

/** Thrown for a bad value; the code matches node's own argument errors so the CLI prints just the message. */
class ServeArgumentError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as `500ms`, `30s`, `1m`, `1h`; null if it is not one. */
function durationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  return match ? Math.round(Number(match[1]) * UNIT_MS[match[2]!]!) : null;
}

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
  return options;
}
