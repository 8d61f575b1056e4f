/** What every request handler can reach: the services of one running server. */
import type { Logger } from 'pino';
import type { Activation } from './activation';
import type { Comparisons } from './comparisons/registry';
import type { KeyRing } from './auth';
import type { Ingestion } from './ingestion';
import type { DerivedLeads } from './lead-derivation';
import type { RuleFiles } from './rule-files';
import type { ApiKeyRecord, Store } from './store/index';

export interface Services {
  store: Store;
  files: RuleFiles;
  activation: Activation;
  ingestion: Ingestion;
  keys: KeyRing;
  comparisons: Comparisons;
  /** Leads' histories derived on read, kept per lead revision. */
  derived: DerivedLeads;
  logger: Logger;
  /** The clock, at the edge only: receipt times, activation times; the engine never reads it. */
  now: () => Date;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    services: Services;
    apiKey: ApiKeyRecord;
  };
}
