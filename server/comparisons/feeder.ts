/**
 * Hands pages of history to the worker threads of one job (a comparison or a
 * suggestion): each worker is kept up to COMPARISON_PAGES_AHEAD pages posted
 * and not yet taken, the next page going to the one with the fewest waiting,
 * and the end of history to all. Between pages the reader yields: a page read
 * from SQLite holds this thread, so requests that came meanwhile are served
 * before the next.
 */
import { COMPARISON_PAGES_AHEAD } from '../config';
import { post, type ChannelEnd } from './channel';
import type { Page } from './pages';
import type { PageMessage } from './worker';

export class PageFeeder {
  private readonly posted: number[];
  private readonly taken: number[];
  private reading = false;
  private end = false;
  private stopped = false;

  /** `onError`: reading a page failed; the feeder has stopped. */
  constructor(
    private readonly pages: AsyncGenerator<Page>,
    private readonly senders: readonly ChannelEnd[],
    private readonly onError: (error: unknown) => void,
  ) {
    this.posted = senders.map(() => 0);
    this.taken = senders.map(() => 0);
  }

  /** Worker `worker` took a page: it gets another if it is short of them. */
  took(worker: number): void {
    this.taken[worker]!++;
    void this.fill();
  }

  /** Posts nothing more (the job is settled; its channels may be closing). */
  stop(): void {
    this.stopped = true;
  }

  /** Reads and posts pages until every worker has its pages ahead, or history ends. */
  async fill(): Promise<void> {
    if (this.reading || this.end || this.stopped) return;
    this.reading = true;
    try {
      while (this.leastBusy().waiting < COMPARISON_PAGES_AHEAD && !this.end && !this.stopped) {
        await new Promise((ready) => setImmediate(ready));
        if (this.stopped) return;
        const next = await this.pages.next();
        if (this.stopped) return;
        if (next.done) {
          this.end = true;
          for (const sender of this.senders) post(sender, { end: true } satisfies PageMessage);
        } else {
          const { worker } = this.leastBusy();
          this.posted[worker]!++;
          post(this.senders[worker]!, { json: next.value.json } satisfies PageMessage);
        }
      }
    } catch (error) {
      this.stopped = true;
      this.onError(error);
    } finally {
      this.reading = false;
    }
  }

  /** The worker with the fewest pages posted and not yet taken (the first of equals), and how many that is. */
  private leastBusy(): { worker: number; waiting: number } {
    let best = 0;
    for (let w = 1; w < this.senders.length; w++) {
      if (this.posted[w]! - this.taken[w]! < this.posted[best]! - this.taken[best]!) best = w;
    }
    return { worker: best, waiting: this.posted[best]! - this.taken[best]! };
  }
}
