/** Defaults and limits of the HTTP API, in one place. */

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

/** How long a verified API key is trusted before it is looked up again (revocations apply within this time). */
export const KEY_CACHE_TTL_MS = 5_000;

/** Demo data: how many leads, and the seed of its generator. */
export const DEMO_LEADS = 200;
export const DEMO_SEED = 20_261_124;
/** How far back demo activity reaches from the anchor date. */
export const DEMO_MONTHS = 6;
