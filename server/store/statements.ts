/**
 * Statements of a fixed shape, built and compiled by Kysely once and then run
 * with each call's values. Ingestion runs the same few statements for every
 * request, and building a query (for a multi-row insert, one node per cell)
 * and compiling it cost more than running it. The SQL still comes from
 * Kysely's builder and compiler, so it is the same for SQLite and PostgreSQL.
 */
import type { CompiledQuery, QueryResult } from 'kysely';

/** What runs a compiled query: the database or an open transaction. */
export interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/**
 * Rows per multi-row statement, at most. Fewer rows go in statements of
 * powers of two, so a handful of compiled shapes serve every row count while
 * PostgreSQL still gets few round trips.
 */
export const MAX_ROWS_PER_STATEMENT = 256;
/** Ids per `IN (…)` list, at most: a power of two, below both databases' parameter limits. */
export const MAX_IDS_PER_LIST = 4_096;

/** How many rows each statement takes: full statements, then the remainder's powers of two (1,000 → 256 ×3, 128, 64, 32, 8). */
export function rowCounts(total: number, max = MAX_ROWS_PER_STATEMENT): number[] {
  const counts: number[] = [];
  let left = total;
  for (; left >= max; left -= max) counts.push(max);
  for (let size = max >> 1; size >= 1; size >>= 1) if (left & size) counts.push(size);
  return counts;
}

function withParameters<R>(compiled: CompiledQuery<R>, parameters: readonly unknown[]): CompiledQuery<R> {
  return { ...compiled, parameters };
}

/** Compiles once per size and checks that the statement takes `width` parameters per item. */
class BySize<R> {
  private readonly compiled = new Map<number, CompiledQuery<R>>();

  constructor(
    private readonly name: string,
    private readonly width: number,
    private readonly compile: (size: number) => CompiledQuery<R>,
    private readonly fixed = 0,
  ) {}

  get(size: number): CompiledQuery<R> {
    let query = this.compiled.get(size);
    if (!query) {
      query = this.compile(size);
      // Parameters are passed by position: a shape that does not take exactly one value per cell is a bug here.
      if (query.parameters.length !== this.fixed + size * this.width) {
        throw new Error(`statement ${this.name}: ${query.parameters.length} parameters for ${size} × ${this.width} + ${this.fixed}`);
      }
      this.compiled.set(size, query);
    }
    return query;
  }
}

/**
 * An insert (or upsert) of many rows. `compile(n)` builds the statement for
 * `n` placeholder rows; `cells` appends one item's values in the statement's
 * column order.
 */
export class RowsStatement<T> {
  private readonly shapes: BySize<unknown>;

  constructor(
    name: string,
    width: number,
    compile: (rows: number) => CompiledQuery,
    private readonly cells: (item: T, into: unknown[]) => void,
  ) {
    this.shapes = new BySize(name, width, compile);
  }

  async run(db: Executor, items: readonly T[]): Promise<void> {
    let at = 0;
    for (const count of rowCounts(items.length)) {
      const parameters: unknown[] = [];
      for (const end = at + count; at < end; at++) this.cells(items[at]!, parameters);
      await db.executeQuery(withParameters(this.shapes.get(count), parameters));
    }
  }
}

/**
 * A select by a list of ids (`IN (…)`), compiled per list length, a power of
 * two: a list is padded by repeating its last id, which changes nothing in
 * `IN`. `compile(n)` builds the statement for `n` placeholder ids, after
 * `fixed` other parameters (passed to {@link IdListQuery.run} as `before`).
 */
export class IdListQuery<R> {
  private readonly shapes: BySize<R>;

  constructor(name: string, compile: (ids: number) => CompiledQuery<R>, fixed = 0) {
    this.shapes = new BySize(name, 1, compile, fixed);
  }

  async run(db: Executor, ids: readonly string[], before: readonly unknown[] = []): Promise<R[]> {
    const rows: R[] = [];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_LIST) {
      const part = ids.slice(start, start + MAX_IDS_PER_LIST);
      let size = 1;
      while (size < part.length) size <<= 1;
      const parameters = [...before, ...part];
      while (parameters.length < before.length + size) parameters.push(part[part.length - 1]);
      const result = await db.executeQuery(withParameters(this.shapes.get(size), parameters));
      rows.push(...result.rows);
    }
    return rows;
  }
}
