/**
 * Serialises work per lead inside this process: a task waits for every earlier
 * task that touches one of its leads, and tasks on other leads run alongside.
 * A task's keys are claimed all at once when it is queued, so tasks over
 * several leads (batches) cannot deadlock.
 */
export class LeadQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task on any of `leadIds` has finished. */
  async run<T>(leadIds: Iterable<string>, task: () => Promise<T>): Promise<T> {
    const keys = [...new Set(leadIds)];
    const earlier: Promise<void>[] = [];
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const key of keys) {
      const tail = this.tails.get(key);
      if (tail) earlier.push(tail);
      this.tails.set(key, done);
    }
    try {
      if (earlier.length > 0) await Promise.all(earlier);
      return await task();
    } finally {
      release();
      for (const key of keys) if (this.tails.get(key) === done) this.tails.delete(key);
    }
  }

  /** Leads with work queued or running (for tests and health). */
  get size(): number {
    return this.tails.size;
  }
}
