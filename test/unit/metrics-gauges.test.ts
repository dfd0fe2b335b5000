import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';
import { sharedWhileInFlight } from '../../src/db/connection-tools.ts';

describe('gauges read when scraped', () => {
  it('say NaN, not 0, when their reading fails, and a labelled one has no series', async () => {
    const metrics = createMetrics();
    let failing = false;
    const read = (value: number) => () => {
      if (failing) throw new Error('the database is down');
      return value;
    };
    const queue = read(7);
    const pool = read(3);
    metrics.gauge('test_queue_items', 'a queue', [], (gauge) => gauge.set(queue()), 'database');
    metrics.gauge('test_pool_connections', 'a pool', ['state'], (gauge) => gauge.set({ state: 'open' }, pool()));
    const text = await metrics.text();
    expect(text).toContain('\ntest_queue_items 7\n');
    expect(text).toContain('\ntest_pool_connections{state="open"} 3\n');
    failing = true;
    const down = await metrics.text();
    // prom-client writes it `Nan`; Prometheus reads NaN in any case.
    expect(down).toMatch(/\ntest_queue_items nan\n/i);
    expect(down).not.toContain('test_pool_connections{');
  });

  it("leave the database's gauges to the leader: another worker neither registers nor reads them", async () => {
    const metrics = createMetrics({ readsDatabase: false });
    let reads = 0;
    const queue = metrics.gauge('test_queue_items', 'a queue', [], (gauge) => gauge.set(++reads), 'database');
    const pool = metrics.gauge('test_pool_connections', 'a pool', [], (gauge) => gauge.set(2));
    expect(queue).toBeNull();
    expect(pool).not.toBeNull();
    const text = await metrics.text();
    expect(text).not.toContain('test_queue_items');
    expect(text).toContain('\ntest_pool_connections 2\n');
    expect(reads).toBe(0);
  });

  it('read a query once for the gauges a scrape collects together, and again at the next scrape', async () => {
    let queries = 0;
    let finish = (_value: number) => {};
    const read = sharedWhileInFlight(() => {
      queries += 1;
      return new Promise<number>((resolve) => (finish = resolve));
    });
    const first = read();
    const second = read();
    expect(queries).toBe(1);
    finish(5);
    expect(await Promise.all([first, second])).toEqual([5, 5]);
    const next = read();
    expect(queries).toBe(2);
    finish(6);
    expect(await next).toBe(6);
    // A failed read is not kept: the next caller asks again.
    const failing = sharedWhileInFlight(() => ((queries += 1), Promise.reject(new Error('down'))));
    await expect(failing()).rejects.toThrow('down');
    await expect(failing()).rejects.toThrow('down');
    expect(queries).toBe(4);
  });
});
