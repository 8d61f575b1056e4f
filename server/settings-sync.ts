/**
 * Keeps a server's copies of the shared settings (the active and challenger
 * rule sets, the API keys it remembers) in step with the database when other
 * servers share it. Two ways in: notices from the other servers (PostgreSQL
 * LISTEN/NOTIFY, well under a second), and a periodic re-check of what
 * changes with every change (the newest activation id, the count of keys and
 * of revoked keys) for the notices a server may miss. Either way the
 * settings are read from the database, never from a notice.
 */
import type { Logger } from 'pino';
import type { Activation } from './activation';
import type { KeyRing } from './auth';
import type { SettingsChange, Store } from './store/index';

export class SettingsSync {
  private seenActivation: number | undefined;
  private seenKeys: string | undefined;
  /** Reloads run one at a time, in the order asked. */
  private work: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  private constructor(
    private readonly store: Store,
    private readonly activation: Activation,
    private readonly keys: KeyRing,
    private readonly logger: Logger,
  ) {}

  /** Starts listening and re-checking every `recheckMs`; resolves once listening. */
  static async start(store: Store, activation: Activation, keys: KeyRing, logger: Logger, recheckMs: number): Promise<SettingsSync> {
    const sync = new SettingsSync(store, activation, keys, logger);
    // What the settings are now, before listening: a change from here on is either notified or seen by a re-check.
    [sync.seenActivation, sync.seenKeys] = await Promise.all([store.activations.latestActivationId(), store.keys.keysFingerprint()]);
    sync.unsubscribe = await store.settings.subscribe((change) => sync.reload(change === 'missed' ? ['activation', 'keys'] : [change]));
    sync.timer = setInterval(() => sync.recheck(), recheckMs);
    sync.timer.unref();
    return sync;
  }

  /** Waits for the reloads asked so far (for tests and shutdown). */
  settled(): Promise<void> {
    return this.work;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.unsubscribe?.();
    await this.work;
  }

  private reload(changes: readonly SettingsChange[]): Promise<void> {
    this.work = this.work.then(async () => {
      for (const change of changes) {
        try {
          if (change === 'activation') await this.activation.refresh();
          else this.keys.forget();
        } catch (error) {
          // Tried again at the next notice or re-check.
          this.logger.error({ err: error, change }, 'could not reload shared settings');
        }
      }
    });
    return this.work;
  }

  /** Reloads what changed since the last re-check, in case a notice was missed. */
  private recheck(): void {
    void Promise.all([this.store.activations.latestActivationId(), this.store.keys.keysFingerprint()]).then(
      ([activationId, keys]) => {
        const changed: SettingsChange[] = [];
        if (activationId !== this.seenActivation) changed.push('activation');
        if (keys !== this.seenKeys) changed.push('keys');
        this.seenActivation = activationId;
        this.seenKeys = keys;
        if (changed.length > 0) void this.reload(changed);
      },
      (error: unknown) => this.logger.warn({ err: error }, 'could not re-check shared settings'),
    );
  }
}
