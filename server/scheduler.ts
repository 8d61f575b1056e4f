/**
 * The clock of time-based rules. Every lead row carries when time alone next
 * changes it (`due_at`, written by ingestion from the engine's
 * `nextTimeChange`). The scheduler finds the leads whose time has come and
 * applies each change as a stored `tick` event dated when the change was due,
 * through the ingestion path, so the tick is in the lead's history: replay and
 * recomputation reproduce it, and whatever an event produces (stage changes,
 * outcomes, shadow results, webhooks) a tick produces too.
 *
 * Several servers on one PostgreSQL database may run schedulers at once: each
 * batch takes the locks of the leads no one else holds (without waiting: a
 * lead another server is ticking is left to it) and decides from the state it
 * then reads, so a change another server applied meanwhile is no longer due
 * and is not applied twice; a tick's id (lead, time, position in history) makes a second
 * store of it a duplicate anyway. A server killed mid-batch commits nothing of
 * it: the leads are still due and the next run, on any server, takes them. A
 * server that was down finds everything that fell due meanwhile and applies
 * it in time order per lead.
 *
 * A due time is stored with the version that computed it: after an activation
 * or a rollback, the leads whose due time another version computed are taken
 * first, in the same batches, and ticked at once or given the new version's due
 * time, so a change the new version brings forward is not left to the old
 * date and one it drops never comes.
 */
import type { Logger } from 'pino';
import { nextTimeChange, tickEvent } from '../engine/index';
import type { Activation } from './activation';
import { INGEST_RETRY, TICK_BATCH_LEADS, TICK_MAX_BATCHES_PER_RUN } from './config';
import type { Ingestion, Submission } from './ingestion';
import { dueLeadIds, retryContended, setDueTimes, tryLockLeads, type Store } from './store/index';

export interface SchedulerOptions {
  /** Pause between runs, in ms. */
  everyMs: number;
  batchLeads?: number;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly activation: Activation,
    private readonly ingestion: Ingestion,
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
  ) {}

  /** Runs at once (catching up after downtime), then every `everyMs` after each run ends. */
  start(): void {
    // The first run starts now, not on a timer, so a caller of runDue() right after start() waits for it.
    this.run();
  }

  private run(): void {
    this.runDue()
      .catch((error: unknown) => this.logger.error({ err: error }, 'scheduler run failed'))
      .finally(() => this.schedule(this.options.everyMs));
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.run(), delay);
    this.timer.unref();
  }

  /**
   * Applies every time-based change due by now, batch by batch; resolves with
   * the number of ticks stored. One run at a time: a call during a run waits
   * for it and starts another.
   */
  async runDue(): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.applyDue();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async applyDue(): Promise<number> {
    const batchLeads = this.options.batchLeads ?? TICK_BATCH_LEADS;
    let ticks = 0;
    for (let batch = 0; batch < TICK_MAX_BATCHES_PER_RUN && !this.closed; batch++) {
      const now = this.now();
      const ids = await dueLeadIds(this.store.read.db, now.toISOString(), this.activation.active.version, batchLeads);
      if (ids.length === 0) break;
      const batchResult = await this.applyBatch(ids, now.getTime());
      ticks += batchResult.ticks;
      // Every lead was held by another transaction (another server's scheduler, an event): leave them to the next run.
      if (batchResult.leads === 0) break;
    }
    return ticks;
  }

  /**
   * One transaction: the locks of the leads no other transaction holds (the
   * others are left to their holder, and to the next run if still due), then
   * for each lead either a tick at the moment its next change was due (when
   * that is by `now`) or its due time written again (computed by the active
   * rule set, for rows written before due times were stored or by another
   * version). Resolves with the leads locked and the ticks stored.
   */
  private applyBatch(ids: readonly string[], now: number): Promise<{ leads: number; ticks: number }> {
    const attempt = () =>
      this.store.transaction(async (queries) => {
        const locked = await tryLockLeads(queries.db, this.store.dialect, ids);
        const ruleSet = this.activation.active;
        const leads = await queries.leadsToEvaluate(locked);
        const ticks: Submission[] = [];
        const dueTimes: { leadId: string; dueAt: string | null }[] = [];
        for (const [leadId, lead] of leads) {
          const change = nextTimeChange(ruleSet, lead.state);
          if (change && Date.parse(change.at) <= now) ticks.push({ event: tickEvent(lead.state, change.at), recordedBy: null });
          else dueTimes.push({ leadId, dueAt: change?.at ?? null });
        }
        // Ingestion writes each ticked lead's next due time with its new state.
        if (ticks.length > 0) await this.ingestion.ingestWithin(queries, ticks);
        await setDueTimes(queries.db, ruleSet.version, dueTimes);
        return { leads: locked.length, ticks: ticks.length };
      });
    return this.ingestion.queue.run(ids, () => retryContended(attempt, INGEST_RETRY));
  }

  /** Stops scheduling and waits for a run in progress (its batch commits or rolls back whole). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
