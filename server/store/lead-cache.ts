/**
 * Lead states this process wrote, kept so that a lead's next event need not
 * read and parse its stored state again (about 0.6 KB of JSON per lead, the
 * largest cost of reading a lead). Another server may write the same
 * database, so a cached state is used only while the lead's row still holds
 * the revision this process wrote with that state: every write of a lead
 * stores a revision no other write has (a random prefix per store and a
 * counter), and ingestion reads the row anyway, without its state, for its
 * newest event. A state enters the cache only after its transaction commits.
 */
import { randomBytes } from 'node:crypto';
import type { LeadState } from '../../engine/index';

/** Leads whose state is kept, the least recently used leaving first: a few KB of memory each (2.5 KB after 20 events). */
export const LEAD_CACHE_SIZE = 10_000;

/** A lead state as written (its histories empty, see lead-state.ts), with the revision stored beside it. */
export interface LeadRevision {
  revision: string;
  state: LeadState;
  stageCount: number;
}

export class LeadCache {
  private readonly prefix = randomBytes(6).toString('base64url');
  private written = 0;
  private readonly entries = new Map<string, LeadRevision>();

  constructor(readonly capacity = LEAD_CACHE_SIZE) {}

  /** A revision for a new write of a lead, unique to it. */
  nextRevision(): string {
    return `${this.prefix}.${(this.written++).toString(36)}`;
  }

  /** The state written with `revision`, if kept; callers must not change it. */
  get(leadId: string, revision: string | null): LeadRevision | undefined {
    const entry = this.entries.get(leadId);
    if (!entry || revision === null || entry.revision !== revision) return undefined;
    this.entries.delete(leadId);
    this.entries.set(leadId, entry);
    return entry;
  }

  /** Keeps the states of a transaction that has committed. */
  remember(written: WrittenLeads): void {
    for (const [leadId, entry] of written.entries) {
      this.entries.delete(leadId);
      this.entries.set(leadId, entry);
    }
    for (const leadId of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(leadId);
    }
  }

  /** Drops leads written outside a transaction (their writes commit one statement at a time). */
  forget(leadIds: Iterable<string>): void {
    for (const leadId of leadIds) this.entries.delete(leadId);
  }
}

/**
 * The leads one transaction wrote, held until it commits: the latest ones
 * only, no more than the cache keeps, so a long transaction (an import of a
 * whole file) does not hold every state it wrote.
 */
export class WrittenLeads {
  readonly entries = new Map<string, LeadRevision>();

  constructor(private readonly capacity: number) {}

  add(leadId: string, entry: LeadRevision): void {
    this.entries.delete(leadId);
    this.entries.set(leadId, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
