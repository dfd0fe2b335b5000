import { afterAll, beforeAll } from 'vitest';
import { createTestContext, type TestContext } from './context.ts';
import { resultsWorld } from './results.ts';

/**
 * The results tests' world (test/results.test.ts, results-search, results-integrity): a test context and
 * resultsWorld in it. The bindings are live: a test file imports them and reads what `useResultsWorld`'s
 * hooks set.
 */
export let ctx: TestContext;
export let world: Awaited<ReturnType<typeof resultsWorld>>;

/** Registers the hooks that build the world before the test file and close it after. */
export function useResultsWorld() {
  beforeAll(async () => {
    ctx = await createTestContext();
    world = await resultsWorld(ctx.app, ctx.db);
  });
  afterAll(() => ctx.close());
}
