/** Data a page loads from the API: the value, the error, and whether a request is under way; only the newest request's answer is kept. */
export class Resource<T> {
  value = $state<T | undefined>(undefined);
  error = $state<unknown>(null);
  loading = $state(false);
  #sequence = 0;
  #last: (() => Promise<T>) | null = null;

  /** Runs `fetcher`; an answer that arrives after a newer request started is dropped. */
  async load(fetcher: () => Promise<T>): Promise<void> {
    const sequence = ++this.#sequence;
    this.#last = fetcher;
    this.loading = true;
    this.error = null;
    try {
      const value = await fetcher();
      if (sequence === this.#sequence) this.value = value;
    } catch (error) {
      if (sequence === this.#sequence) this.error = error;
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }

  reload = (): void => {
    if (this.#last) void this.load(this.#last);
  };
}
