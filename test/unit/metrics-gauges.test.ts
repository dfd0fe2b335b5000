import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.ts';

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
});
