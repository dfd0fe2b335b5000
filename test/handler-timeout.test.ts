import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import handlerTimeout from '../src/plugins/handler-timeout.ts';
import { registerProblemHandlers } from '../src/plugins/problem.ts';

const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function appAnsweringAfter(ms: number) {
  const app = Fastify();
  apps.push(app);
  registerProblemHandlers(app);
  await app.register(handlerTimeout, { timeoutMs: 100 });
  app.post('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { answered: true };
  });
  return app;
}

describe('the handler timeout', () => {
  it('answers 503 problem+json when the handler outlasts its bound, and drops its late answer', async () => {
    const app = await appAnsweringAfter(400);
    const started = Date.now();
    const response = await app.inject({ method: 'POST', url: '/slow', payload: { a: 1 } });
    expect(response.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(350);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ type: expect.stringMatching(/timeout$/), status: 503 });
    await new Promise((resolve) => setTimeout(resolve, 400)); // the handler finishes into an answered reply
  });

  it('leaves an answer within the bound alone, its body included', async () => {
    const app = await appAnsweringAfter(10);
    const response = await app.inject({ method: 'POST', url: '/slow', payload: { a: 1 } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ answered: true });
  });
});
