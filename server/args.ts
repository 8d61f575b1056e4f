/** `leadflow serve` arguments: --port, --db, --rules-dir, --host, --demo. */
import { parseArgs } from 'node:util';
import type { ServeOptions } from './index';

/** Thrown for a bad value; the code matches node's own argument errors so the CLI prints just the message. */
class ServeArgumentError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
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
  return options;
}
