/** PostgreSQL for the benchmarks: a database of one run's own, created beside the one a URL names, and counts of what it stored. */
import pg from 'pg';

/** Runs one statement on the database `url` names, in a connection of its own. */
export async function run(url: string, statement: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates database `name` beside the one `url` names (its role must be allowed to); returns its URL and a way to drop it. */
export async function createDatabase(url: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  await run(url, `create database ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return { url: target.toString(), drop: async () => void (await run(url, `drop database if exists ${name} with (force)`)) };
}

/** Events stored in the database `url` names. */
export async function storedEvents(url: string): Promise<number> {
  return Number((await run(url, 'select count(*) as n from events')).rows[0]!.n);
}
