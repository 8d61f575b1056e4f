import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../server/comparisons/pool';

describe('the pool of comparison threads', () => {
  it('gives back a thread that finished cleanly to the next comparison', async () => {
    const pool = new WorkerPool(2);
    const first = pool.take();
    first.on('message', () => {});
    pool.give(first);
    expect(first.listenerCount('message')).toBe(0);
    expect(pool.take()).toBe(first);
    await first.terminate();
  });

  it('keeps no more idle threads than asked, and ends the others', async () => {
    const pool = new WorkerPool(1);
    const [a, b] = [pool.take(), pool.take()];
    pool.give(a);
    pool.give(b);
    await once(b, 'exit');
    expect(pool.take()).toBe(a);
    await a.terminate();
  });

  it('forgets an idle thread that ended, and starts a new one instead', async () => {
    const pool = new WorkerPool(1);
    const worker = pool.take();
    pool.give(worker);
    await worker.terminate();
    const next = pool.take();
    expect(next).not.toBe(worker);
    await pool.close();
    await next.terminate();
  });
});
