/**
 * Starts a server from command-line flags and prints one JSON line with its
 * URL, then one with `populationWarm` when its background warm-up has
 * settled (see docs/population.md): the entry used to run the server as a
 * child process (crash tests, benchmarks, which wait for the warm-up before
 * measuring). `leadflow serve` is the entry for people.
 */
import { parseServeArgs, serve } from './index';

const server = await serve({ log: false, ...parseServeArgs(process.argv.slice(2)) });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
void server.populationWarm.then((warm) => process.stdout.write(`${JSON.stringify({ populationWarm: warm })}\n`));
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
