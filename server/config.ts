/** Defaults and limits of the HTTP API, in one place. */
import { availableParallelism } from 'node:os';

export const DEFAULT_PORT = 8787;
export const DEFAULT_DB_FILE = 'data/leadflow.db';
export const DEFAULT_HOST = '0.0.0.0';

/** Events per `POST /v1/events/batch` and per stateless evaluation. */
export const MAX_BATCH_EVENTS = 10_000;
/** Body size for batch requests: 10,000 events of about 1 KB each. */
export const MAX_BATCH_BODY_BYTES = 10 * 1024 * 1024;
/** Body size for every other request (a rule set is the largest). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Most single-event requests committed in one transaction (group commit). */
export const MAX_GROUP_COMMIT = 1_000;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Shortest admin key accepted from LEADFLOW_ADMIN_KEY (generated keys have 46 characters). */
export const MIN_ADMIN_KEY_LENGTH = 20;
/** How long a verified API key is trusted before it is looked up again (revocations apply within this time). */
export const KEY_CACHE_TTL_MS = 5_000;
/** Most key answers remembered at once (unknown keys included, so random keys cannot grow it without bound). */
export const KEY_CACHE_SIZE = 10_000;
/** A server records a key's last use at most this often per key, so a request costs no write. */
export const KEY_USE_RECORD_EVERY_MS = 60_000;

/** Demo data: how many leads, and the seed of its generator. */
export const DEMO_LEADS = 200;
export const DEMO_SEED = 20_261_124;
/** How far back demo activity reaches from the anchor date. */
export const DEMO_MONTHS = 6;

/** Leads per ingestion step of an import (one transaction for the whole file; each lead in one step). */
export const IMPORT_LEADS_PER_CHUNK = 2_000;
/**
 * Longest record (a JSON line, a CSV record) an import reads, in characters:
 * far above any event the API accepts (properties up to 64 KiB as JSON), and
 * the bound on what one record can hold in memory (an unclosed CSV quote would
 * otherwise gather the rest of the file).
 */
export const IMPORT_MAX_RECORD_CHARS = 1_048_576;
/** Leads per ingestion step of a file import: smaller than for history in memory, to keep the heap small. */
export const IMPORT_FILE_LEADS_PER_CHUNK = 500;
/** Rejected rows an import lists with line and reason (it counts them all); a file of bad rows must not fill the memory. */
export const IMPORT_MAX_KEPT_REJECTIONS = 10_000;
/** Bytes read from an import file at a time. */
export const IMPORT_READ_CHUNK_BYTES = 1_048_576;

/** Events per page a comparison reads from the store (one query, one message to one of its workers; more when one lead has more). */
export const COMPARISON_PAGE_EVENTS = 10_000;
/** Leads per page of a shadow comparison. */
export const COMPARISON_PAGE_LEADS = 500;
/**
 * Pages of a comparison started through the API are smaller: on SQLite the
 * thread serving requests reads each page synchronously, and a page of 10,000
 * events held it for 18 ms (median) to 67 ms (with a collection), where 2,000
 * events take 3–7 ms; measured on the 1,000,000-event history of
 * `npm run bench:replay`. The replay itself is the same either way.
 */
export const SERVER_COMPARISON_PAGE_EVENTS = 2_000;
/** Leads per page of a shadow comparison started through the API (see SERVER_COMPARISON_PAGE_EVENTS). */
export const SERVER_COMPARISON_PAGE_LEADS = 100;
/**
 * Worker threads one comparison uses at most (and no more than the CPUs). The
 * thread reading history feeds about 700,000 events/s and a worker replays
 * about 180,000 events/s through 2 versions (`npm run bench:replay`), so more
 * workers would mostly wait for pages, while each may grow a young generation
 * of its own (below).
 */
export const COMPARISON_MAX_WORKERS = 4;
/**
 * Pages posted to each of a comparison's workers and not yet taken: enough to
 * keep them busy, few enough to bound memory (a lead with more events than a
 * page makes one larger page).
 */
export const COMPARISON_PAGES_AHEAD = 3;
/**
 * Young generation of a comparison's worker, in MB (V8's default is about
 * 16): a replay makes millions of objects that die within an event or a page,
 * and a larger nursery lets them die there instead of being copied and
 * promoted. Measured on `npm run bench:replay` (1,000,000 events, 2 workers,
 * when they still split the versions rather than the leads):
 * 96 MB took about 15 % less replay time than the default, 256 MB about 6 %
 * less again than 96; 384 MB was no better than 256.
 */
export const COMPARISON_WORKER_YOUNG_GENERATION_MB = 256;
/** Versions one comparison may replay side by side. */
export const MAX_COMPARED_VERSIONS = 5;
/**
 * Worker threads of a comparison started through the API: every CPU but one,
 * which stays with the thread serving requests (at least one, at most
 * COMPARISON_MAX_WORKERS). The command line (`leadflow replay`) serves no
 * requests and uses every CPU.
 */
export const SERVER_COMPARISON_WORKERS = Math.max(1, Math.min(COMPARISON_MAX_WORKERS, availableParallelism() - 1));
/** Scheduling priority (nice) of a comparison's worker threads, below the thread serving requests (0). */
export const COMPARISON_THREAD_NICE = 10;
/** Comparisons running at once through the API: one, on SERVER_COMPARISON_WORKERS threads; the others wait in line. */
export const MAX_RUNNING_COMPARISONS = 1;
/** Comparisons waiting in line at most; one more is refused with 503. */
export const MAX_QUEUED_COMPARISONS = 10;
/** Finished comparisons kept in memory for GET /v1/comparisons/{id}; the oldest goes first. */
export const KEPT_COMPARISONS = 20;

/**
 * Attempts of an ingestion transaction that loses to another writer (a
 * deadlock or serialization failure, a busy SQLite file, the same event id
 * stored first), and the pause before the second (doubling, with jitter):
 * about 1.3 s in all before the client gets 503 with Retry-After.
 */
export const INGEST_RETRY = { attempts: 8, firstPauseMs: 10 } as const;
/** Retry-After (seconds) of a 503 for a database contended through every attempt. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * How often a server reads the shared settings (active and challenger
 * versions, API keys) again on its own, in case it missed another server's
 * notice (PostgreSQL): the longest a change made through another server can
 * go unseen. Notices make it well under a second otherwise.
 */
export const SETTINGS_RECHECK_MS = 5_000;

/**
 * How often the scheduler looks for leads that time alone has changed
 * (dormancy, recycling, decay across a band): the longest such a change waits
 * to be applied (`serve --tick-every`). The tick itself is dated when the
 * change was due, not when it was applied.
 */
export const DEFAULT_TICK_EVERY_MS = 60_000;
/** Leads per scheduler transaction (one batch of ticks, each lead under its lead lock). */
export const TICK_BATCH_LEADS = 200;
/** Batches one scheduler run applies at most before it waits for its next turn (a catch-up after downtime spans several runs). */
export const TICK_MAX_BATCHES_PER_RUN = 500;

/** How often a server looks for webhook messages to send (`serve --webhook-every`). */
export const DEFAULT_WEBHOOK_EVERY_MS = 1_000;
/** Deliveries one dispatch claims at most (sent concurrently, a lead's in order). */
export const WEBHOOK_BATCH = 100;
/** Rounds of claims one dispatch makes at most: each sends the next message of each lead, so a lead's burst of changes leaves in one dispatch. */
export const WEBHOOK_ROUNDS_PER_DISPATCH = 20;
/** How long a claimed delivery is held by the server sending it; a server that dies loses it after this. */
export const WEBHOOK_LEASE_MS = 60_000;
/** A receiver's answer is awaited this long. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/**
 * Retries after a failed attempt: the pause doubles from the first (5 s, 10 s,
 * 20 s, … up to 1 h), each ±20 % at random so failed receivers are not hit in
 * step, and the delivery is given up a day after its message was made.
 */
export const WEBHOOK_RETRY = { firstPauseMs: 5_000, maxPauseMs: 3_600_000, jitter: 0.2, giveUpAfterMs: 86_400_000 } as const;
/** Failed attempts in a row after which a subscription is marked failing. */
export const WEBHOOK_FAILING_AFTER = 5;
/**
 * How long a delivered or given-up delivery, its attempts (the delivery log)
 * and its message are kept after it settled (`serve --webhook-retention`,
 * LEADFLOW_WEBHOOK_RETENTION). Pending deliveries are kept however old.
 */
export const DEFAULT_WEBHOOK_RETENTION_MS = 30 * 86_400_000;
/** How often a server deletes what is past the retention period (at its first dispatch after this long). */
export const WEBHOOK_PURGE_EVERY_MS = 600_000;
/** Rows one retention transaction deletes at most (deliveries with their attempts, or messages). */
export const WEBHOOK_PURGE_BATCH = 1_000;
/** Batches of each kind one pass deletes at most; a larger backlog is taken at the next dispatches. */
export const WEBHOOK_PURGE_MAX_BATCHES = 20;

/**
 * Population impact (`POST /v1/rulesets/population`): at most this many
 * stored leads are judged; beyond, a sample of this size, chosen by a seeded
 * hash of each lead id (the leads with the lowest hashes), so the same leads
 * are judged edit after edit and a new lead joins only by displacing one.
 */
export const POPULATION_SAMPLE_LIMIT = 5_000;
export const POPULATION_SAMPLE_SEED = 'leadflow-population-1';
/** Leads whose events one query of the sample reads; the request thread is let go between queries. */
export const POPULATION_READ_LEADS = 500;
/** Lead ids per page when the sample is chosen. */
export const POPULATION_ID_PAGE = 5_000;
/**
 * The sample's histories are kept in memory and read again at the first
 * request after this server stored events, but no sooner than this after the
 * last read (steady ingestion would otherwise make every edit read them again).
 */
export const POPULATION_REFRESH_MS = 10_000;
/** And after this long in any case (events stored by other servers on the same database). */
export const POPULATION_TTL_MS = 5 * 60_000;
/** Leads changing band listed, largest score change first. */
export const POPULATION_TOP_CHANGES = 20;
