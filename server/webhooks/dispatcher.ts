/**
 * Sends webhook messages: fans committed messages out to their subscriptions,
 * claims the deliveries due (each lead's in order, each held by one server
 * under a lease), sends each signed per Standard Webhooks, logs the attempt
 * and schedules a retry with exponential backoff and jitter, for a day.
 *
 * At least once: a delivery is settled only after the receiver answered, so a
 * server killed between sending and settling leaves it to be sent again when
 * its lease ends. Receivers deduplicate by `webhook-id` (the message id, the
 * same on every attempt and redelivery).
 *
 * Every WEBHOOK_PURGE_EVERY_MS a dispatch also deletes what is past the
 * retention period (see retention.ts), in batches.
 */
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import {
  WEBHOOK_BATCH,
  WEBHOOK_FAILING_AFTER,
  WEBHOOK_LEASE_MS,
  WEBHOOK_PURGE_BATCH,
  WEBHOOK_PURGE_EVERY_MS,
  WEBHOOK_PURGE_MAX_BATCHES,
  WEBHOOK_RETRY,
  WEBHOOK_ROUNDS_PER_DISPATCH,
  WEBHOOK_TIMEOUT_MS,
} from '../config';
import type { Store } from '../store/index';
import { refusalOf } from './address';
import { postJson } from './post';
import { purgeDeliveredMessages, purgeSettledDeliveries } from './retention';
import { claimDeliveries, fanOut, recordAttempt, type AttemptResult, type DeliveryClaim } from './store';

export interface DispatcherOptions {
  everyMs: number;
  /** Hosts that may receive webhooks despite a private or loopback address. */
  allowHosts: ReadonlySet<string>;
  /** How long delivered and given-up deliveries, their attempts and their messages are kept, in ms. */
  retentionMs: number;
  /** Random number in [0, 1) for the jitter; default Math.random. */
  random?: () => number;
}

/** The pause before attempt `attempt + 1` after `attempt` failed ones: doubling from the first, capped, with jitter. */
export function retryPauseMs(attempt: number, random: () => number): number {
  const base = Math.min(WEBHOOK_RETRY.maxPauseMs, WEBHOOK_RETRY.firstPauseMs * 2 ** (attempt - 1));
  return Math.round(base * (1 + WEBHOOK_RETRY.jitter * (2 * random() - 1)));
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private closed = false;
  /** When the last purge that found nothing more to delete ended (epoch ms of the server's clock). */
  private purgedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
  ) {}

  start(): void {
    // The first run starts now, not on a timer, so a caller of runOnce() right after start() waits for it.
    this.run();
  }

  private run(): void {
    this.runOnce()
      .catch((error: unknown) => this.logger.error({ err: error }, 'webhook dispatch failed'))
      .finally(() => this.schedule(this.options.everyMs));
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => this.run(), delay);
    this.timer.unref();
  }

  /** One dispatch: fan out, claim, send, settle. Resolves with the attempts made. One at a time per server. */
  async runOnce(): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.dispatch();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async dispatch(): Promise<number> {
    const db = this.store.read.db;
    const now = this.now();
    while ((await this.store.transaction((q) => fanOut(q.db, now.toISOString(), WEBHOOK_BATCH))) === WEBHOOK_BATCH) {
      if (this.closed) break;
    }
    // Each round sends the earliest pending message of each lead; a lead's next one goes in the next round.
    let attempts = 0;
    for (let round = 0; round < WEBHOOK_ROUNDS_PER_DISPATCH && !this.closed; round++) {
      const claims = await claimDeliveries(db, now.toISOString(), new Date(now.getTime() + WEBHOOK_LEASE_MS).toISOString(), WEBHOOK_BATCH);
      if (claims.length === 0) break;
      await Promise.all(claims.map((claim) => this.deliver(claim)));
      attempts += claims.length;
    }
    if (now.getTime() - this.purgedAt >= WEBHOOK_PURGE_EVERY_MS) {
      // What was sent stays sent: a failed purge is reported and tried again at the next dispatch.
      await this.purge(now).catch((error: unknown) => this.logger.error({ err: error }, 'webhook retention failed'));
    }
    return attempts;
  }

  /**
   * Deletes the deliveries settled longer than the retention period ago, with
   * their attempts, then their messages, a batch per transaction. A pass that
   * stops at WEBHOOK_PURGE_MAX_BATCHES (a backlog) goes on at the next dispatch.
   */
  private async purge(now: Date): Promise<void> {
    const before = new Date(now.getTime() - this.options.retentionMs).toISOString();
    const { dialect } = this.store;
    for (const purgeBatch of [purgeSettledDeliveries, purgeDeliveredMessages]) {
      for (let batch = 0; ; batch++) {
        if (this.closed || batch === WEBHOOK_PURGE_MAX_BATCHES) return;
        const deleted = await this.store.transaction((q) => purgeBatch(q.db, dialect, before, WEBHOOK_PURGE_BATCH));
        if (deleted < WEBHOOK_PURGE_BATCH) break;
      }
    }
    this.purgedAt = now.getTime();
  }

  private async deliver(claim: DeliveryClaim): Promise<void> {
    const result = await this.send(claim);
    const now = this.now();
    let retryAt: string | null = null;
    if (!result.ok) {
      const next = now.getTime() + retryPauseMs(claim.attempts + 1, this.options.random ?? Math.random);
      if (next - Date.parse(claim.createdAt) < WEBHOOK_RETRY.giveUpAfterMs) retryAt = new Date(next).toISOString();
    }
    await recordAttempt(this.store.read.db, claim, result, now.toISOString(), retryAt, WEBHOOK_FAILING_AFTER);
    if (!result.ok) this.logger.warn({ delivery: claim.id, url: claim.url, ...result, retryAt }, 'webhook delivery failed');
  }

  /**
   * One signed POST; any answer but 2xx, a refused address, a timeout or a
   * network error is a failure. The URL is checked first (an address written
   * in it), and the address its name resolves to when connecting (see post.ts).
   */
  private async send(claim: DeliveryClaim): Promise<AttemptResult> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 10) / 10;
    const refusal = await refusalOf(claim.url, this.options.allowHosts);
    if (refusal) return { ok: false, statusCode: null, latencyMs: 0, error: `refused: ${refusal}` };
    const timestamp = this.now();
    const signature = new Webhook(claim.secret).sign(claim.messageId, timestamp, claim.payload);
    try {
      const statusCode = await postJson(
        claim.url,
        {
          'content-type': 'application/json',
          'user-agent': 'Leadflow-Webhooks/1',
          'webhook-id': claim.messageId,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        claim.payload,
        { timeoutMs: WEBHOOK_TIMEOUT_MS, allowHosts: this.options.allowHosts },
      );
      const ok = statusCode >= 200 && statusCode < 300;
      return { ok, statusCode, latencyMs: latency(), error: ok ? null : `HTTP ${statusCode}` };
    } catch (error) {
      return { ok: false, statusCode: null, latencyMs: latency(), error: error instanceof Error ? error.message : String(error) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
