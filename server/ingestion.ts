/**
 * The evaluation path of every stored event. Per request, in one transaction:
 * lock the request's leads against every other writer (other servers sharing
 * a PostgreSQL database included), store the new events (an id already
 * stored is a duplicate and changes nothing), evaluate each lead's new events
 * on its stored state, write the new state with what each event did, and
 * record outcomes and the challenger's shadow results. A transaction that
 * loses to another writer (a deadlock, a busy database) runs again. Nothing
 * is acknowledged before that transaction commits.
 */
import { nextTimeChange, type CompiledRuleSet, type Explanation, type LeadEvent, type LeadState } from '../engine/index';
import type { Activation } from './activation';
import { outcomeOf } from './feedback';
import { LeadQueue } from './lead-queue';
import { applyInOrder, compareHistory, type AppliedEvent, type FoldResult } from './lead-history';
import { INGEST_RETRY } from './config';
import {
  leadFilterValues,
  retryContended,
  stageChangeRecord,
  StoreBusyError,
  type EventWrite,
  type LeadWrite,
  type OutcomeRecord,
  type Queries,
  type ShadowLead,
  type ShadowResult,
  type StageChangeRecord,
  type Store,
  type StoredEventResult,
  type StoredLead,
} from './store/index';

/** `conflict`: the id is already used by an event of another lead; nothing is stored and neither lead is shown. */
export type EventStatus = 'stored' | 'duplicate' | 'conflict';

export interface IngestedEvent {
  eventId: string;
  leadId: string;
  status: EventStatus;
}

export interface LeadResult {
  state: LeadState;
  /** True when a late event made the server recompute the lead from its history. */
  recomputed: boolean;
  /** What each new event did, by event id: its explanation, null when the rule set skipped it. */
  explanations: Map<string, Explanation | null>;
}

export interface IngestResult {
  /** One entry per given event, in the given order. */
  events: IngestedEvent[];
  /** Leads that received new events. */
  leads: Map<string, LeadResult>;
  ruleSetVersion: string;
}

/** A lead's state before a write (null for a new lead) and the state written. */
export interface LeadChange {
  before: LeadState | null;
  after: LeadState;
}

/** A validated event (time normalised, type known to the active rule set) and who sent it. */
export interface Submission {
  event: LeadEvent;
  /** Name of the API key that sent the event, kept with outcomes. */
  recordedBy: string | null;
}

/** What one submitted event got: its status and, unless a duplicate, its lead as committed. */
export interface SubmitResult {
  status: EventStatus;
  lead: LeadResult | undefined;
}

interface Waiting {
  submission: Submission;
  resolve: (result: SubmitResult) => void;
  reject: (error: unknown) => void;
}

/** Stores and evaluates events; see the module comment for the transaction. */
export class Ingestion {
  readonly queue = new LeadQueue();
  /**
   * Called inside the transaction with each written lead's state before and
   * after, so that what depends on the change (the webhook outbox) commits
   * with it or not at all.
   */
  onLeadsChanged: ((queries: Queries, changes: readonly LeadChange[]) => Promise<void>) | undefined;
  /** Counts the batches of events this server has begun to store: what has read history can tell when it may be out of date. */
  revision = 0;
  private waiting: Waiting[] = [];
  private flushScheduled = false;

  constructor(
    private readonly store: Store,
    private readonly activation: Activation,
    private readonly now: () => Date,
    private readonly maxGroup: number,
  ) {}

  /**
   * Ingests one event, committed together with the other single events that
   * arrived in the same turn of the event loop (group commit: one transaction
   * for many concurrent requests instead of one each). Resolves after commit.
   */
  submit(submission: Submission): Promise<SubmitResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ submission, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.maxGroup);
      this.ingest(group.map((w) => w.submission)).then(
        (result) =>
          group.forEach((w, i) => w.resolve({ status: result.events[i]!.status, lead: result.leads.get(w.submission.event.leadId) })),
        (error: unknown) => {
          // Contention is no event's fault: every request gets the 503. Any other failure may be one event's:
          // each runs again alone, so it fails only its own request.
          if (group.length === 1 || error instanceof StoreBusyError) group.forEach((w) => w.reject(error));
          else group.forEach((w) => this.ingestAlone(w));
        },
      );
    }
  }

  private ingestAlone({ submission, resolve, reject }: Waiting): void {
    this.ingest([submission]).then(
      (result) => resolve({ status: result.events[0]!.status, lead: result.leads.get(submission.event.leadId) }),
      reject,
    );
  }

  /**
   * Ingests events in one transaction; events for the same lead wait for each
   * other, other leads proceed in parallel. In this process the lead queue
   * keeps a second transaction on a lead from taking a connection only to
   * wait; across servers the transaction's lead locks do the same. A
   * transaction that loses to another writer runs again (see
   * {@link retryContended}): when two store the same event id for different
   * leads, the loser now sees it as a duplicate. Throws StoreBusyError when
   * contention outlasts every attempt.
   */
  async ingest(submissions: readonly Submission[]): Promise<IngestResult> {
    const leadIds = submissions.map((s) => s.event.leadId);
    const attempt = () =>
      this.store.transaction(async (queries) => {
        // Before anything is read: what follows sees the last committed write of these leads, from any server.
        await queries.lockLeads(leadIds);
        return this.ingestWithin(queries, submissions);
      });
    return this.queue.run(leadIds, () => retryContended(attempt, INGEST_RETRY));
  }

  /**
   * Ingests events inside a transaction the caller holds, with no per-lead
   * queue and no lead locks: for a caller that alone writes these leads (an
   * import, which commits a whole file at once or nothing of it, and would
   * otherwise hold one lock per lead of the file until then).
   */
  async ingestWithin(queries: Queries, submissions: readonly Submission[]): Promise<IngestResult> {
    const ruleSet = this.activation.active;
    const challenger = this.activation.challenger;
    const existingIds = await queries.existingEventIds(submissions.map((s) => s.event.id));
    // Whose events those are: an id is a duplicate only for its own lead. Read only when there are any (rare).
    const owners = existingIds.size > 0 ? await queries.eventLeadIds([...existingIds]) : new Map<string, string>();
    this.revision++;
    const statuses: IngestedEvent[] = [];
    const byLead = new Map<string, LeadEvent[]>();
    const senders = new Map<string, string | null>();
    for (const { event, recordedBy } of submissions) {
      const owner = owners.get(event.id);
      if (owner === undefined) owners.set(event.id, event.leadId);
      const status: EventStatus = owner === undefined ? 'stored' : owner === event.leadId ? 'duplicate' : 'conflict';
      statuses.push({ eventId: event.id, leadId: event.leadId, status });
      if (status !== 'stored') continue;
      senders.set(event.id, recordedBy);
      const list = byLead.get(event.leadId);
      if (list) list.push(event);
      else byLead.set(event.leadId, [event]);
    }
    const leads = new Map<string, LeadResult>();
    if (byLead.size === 0) return { events: statuses, leads, ruleSetVersion: ruleSet.version };

    const now = this.now().toISOString();
    const existing = await queries.leadsToEvaluate([...byLead.keys()]);
    const histories = new Map<string, StoredEventResult[]>();
    const storedHistory = async (leadId: string) => {
      let rows = histories.get(leadId);
      if (!rows) {
        rows = await queries.leadEvents(leadId);
        histories.set(leadId, rows);
      }
      return rows;
    };
    const history = async (leadId: string) => (await storedHistory(leadId)).map((row) => row.event);

    const newEvents: EventWrite[] = [];
    const rewritten: EventWrite[] = [];
    const leadWrites: LeadWrite[] = [];
    const stageChanges: StageChangeRecord[] = [];
    const recomputedLeads: string[] = [];
    const outcomes: OutcomeRecord[] = [];
    const changes: LeadChange[] = [];

    for (const [leadId, fresh] of byLead) {
      fresh.sort(compareHistory);
      const lead = existing.get(leadId);
      const late = lead !== undefined && compareHistory(fresh[0]!, { occurredAt: lead.lastEventAt, id: lead.lastEventId }) < 0;
      let fold: FoldResult;
      if (late) {
        // A late event changes everything after it (decay, caps, stage timing): fold the whole history again.
        const past = await storedHistory(leadId);
        fold = applyInOrder(
          ruleSet,
          null,
          mergeHistories(
            past.map((row) => row.event),
            fresh,
          ),
        );
        const before = new Map(past.map((row) => [row.event.id, row]));
        for (const applied of fold.applied) {
          const stored = before.get(applied.event.id);
          if (!stored) continue;
          const write = eventWrite(applied, ruleSet.version, now);
          // Events before the late one come out the same; only the ones after it are rewritten.
          if (resultChanged(stored, write)) rewritten.push(write);
        }
        recomputedLeads.push(leadId);
      } else {
        fold = applyInOrder(ruleSet, lead?.state ?? null, fresh);
      }
      // A recomputation applied the stored history too; otherwise the fold applied exactly the new events.
      const freshIds = late ? new Set(fresh.map((e) => e.id)) : null;
      const explanations = new Map<string, Explanation | null>();
      for (const applied of fold.applied) {
        if (freshIds && !freshIds.has(applied.event.id)) continue;
        newEvents.push(eventWrite(applied, ruleSet.version, now));
        explanations.set(applied.event.id, applied.explanation);
      }
      for (const event of fresh) {
        const outcome = outcomeOf(event, senders.get(event.id) ?? null, now);
        if (outcome) outcomes.push(outcome);
      }
      const state = fold.state;
      if (!state) continue;
      const newest = late ? lastOf(lead!, fresh) : fresh[fresh.length - 1]!;
      // The stored state's histories are empty (see store/lead-state.ts): the fold's stage history holds the lead's
      // whole history when it started from nothing (a new lead, a recomputation), otherwise only this write's changes.
      const keptChanges = late || !lead ? 0 : lead.stageCount;
      const stageCount = keptChanges + state.stageHistory.length;
      leadWrites.push({
        state,
        stageCount,
        ...(lead && { previous: leadFilterValues(lead.state) }),
        lastEventAt: newest.occurredAt,
        lastEventId: newest.id,
        createdAt: lead?.createdAt ?? now,
        updatedAt: now,
        // Stored with the state so the scheduler finds the lead when time alone changes it (server/scheduler.ts).
        dueAt: nextTimeChange(ruleSet, state)?.at ?? null,
        dueVersion: ruleSet.version,
      });
      stageChanges.push(...stageChangeRecords(state, fold.applied, keptChanges));
      leads.set(leadId, { state, recomputed: late, explanations });
      changes.push({ before: lead?.state ?? null, after: state });
    }

    await queries.insertEvents(newEvents);
    await queries.updateEventResults(rewritten);
    await queries.upsertLeads(leadWrites);
    for (const leadId of recomputedLeads) await queries.deleteStageChanges(leadId);
    await queries.insertStageChanges(stageChanges);
    await queries.insertOutcomes(outcomes);
    if (this.onLeadsChanged) await this.onLeadsChanged(queries, changes);
    if (challenger) await this.shadow(queries, challenger, byLead, existing, history);
    return { events: statuses, leads, ruleSetVersion: ruleSet.version };
  }

  /** Evaluates the same new events with the challenger, on the lead's challenger state, and stores the results apart. */
  private async shadow(
    queries: Queries,
    challenger: CompiledRuleSet,
    byLead: Map<string, LeadEvent[]>,
    existing: Map<string, StoredLead>,
    history: (leadId: string) => Promise<LeadEvent[]>,
  ): Promise<void> {
    const shadowLeads = await queries.shadowLeads(challenger.version, [...byLead.keys()]);
    const leadWrites: ShadowLead[] = [];
    const results: ShadowResult[] = [];
    for (const [leadId, fresh] of byLead) {
      const shadow = shadowLeads.get(leadId);
      const late = shadow !== undefined && compareHistory(fresh[0]!, { occurredAt: shadow.lastEventAt, id: shadow.lastEventId }) < 0;
      // A lead that existed before the challenger was set has no shadow state yet: start it from the full history.
      const fromHistory = late || (shadow === undefined && existing.has(leadId));
      const fold = fromHistory
        ? applyInOrder(challenger, null, mergeHistories(await history(leadId), fresh))
        : applyInOrder(challenger, shadow?.state ?? null, fresh);
      for (const { event, explanation, stage } of fold.applied) {
        results.push({
          eventId: event.id,
          version: challenger.version,
          leadId,
          score: explanation?.score.after.total ?? null,
          band: explanation?.band.after ?? null,
          stage,
          explanation: explanation && JSON.stringify(explanation),
        });
      }
      const newest = fold.applied[fold.applied.length - 1]!.event;
      const keep = shadow && !fromHistory && compareHistory(newest, { occurredAt: shadow.lastEventAt, id: shadow.lastEventId }) < 0;
      if (fold.state && !keep) leadWrites.push({ state: fold.state, lastEventAt: newest.occurredAt, lastEventId: newest.id });
    }
    await queries.upsertShadowResults(results);
    await queries.upsertShadowLeads(challenger.version, leadWrites);
  }
}

/**
 * Stored history plus new events, in history order (both already sorted).
 * History read after the new events were written already holds them: each event counts once.
 */
function mergeHistories(stored: readonly LeadEvent[], fresh: readonly LeadEvent[]): LeadEvent[] {
  const freshIds = new Set(fresh.map((e) => e.id));
  const past = stored.filter((e) => !freshIds.has(e.id));
  const merged: LeadEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < past.length || j < fresh.length) {
    if (j >= fresh.length || (i < past.length && compareHistory(past[i]!, fresh[j]!) <= 0)) merged.push(past[i++]!);
    else merged.push(fresh[j++]!);
  }
  return merged;
}

/** The newer of the lead's stored newest event and the newest new event. */
function lastOf(lead: StoredLead, fresh: readonly LeadEvent[]): { occurredAt: string; id: string } {
  const stored = { occurredAt: lead.lastEventAt, id: lead.lastEventId };
  const newest = fresh[fresh.length - 1]!;
  return compareHistory(newest, stored) > 0 ? newest : stored;
}

/** An event's row: the event and the version that evaluated it (null: skipped); what it did is derived on read from these. */
function eventWrite(applied: AppliedEvent, version: string, receivedAt: string): EventWrite {
  return { event: applied.event, receivedAt, version: applied.explanation ? version : null };
}

/**
 * Whether a recomputation changed what is stored of an event. What the event
 * did is derived from the lead's events and their versions, so only the
 * version is stored; a row from before lean writes is rewritten too, as its
 * stored explanation no longer holds.
 */
function resultChanged(stored: StoredEventResult, write: EventWrite): boolean {
  return stored.version !== write.version || stored.explanation !== null;
}

/** The fold's stage-history entries as rows, numbered from `from` (with the band the causing event left). */
function stageChangeRecords(state: LeadState, applied: readonly AppliedEvent[], from: number): StageChangeRecord[] {
  if (state.stageHistory.length === 0) return [];
  const bandByEvent = new Map(applied.map((a) => [a.event.id, a.explanation?.band.after ?? null]));
  return state.stageHistory.map((change, i) => stageChangeRecord(state.leadId, from + i, change, bandByEvent.get(change.eventId) ?? null));
}
