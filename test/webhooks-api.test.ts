import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearer, tokenFor } from './helpers/auth.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';
import {
  admin,
  ctx,
  hospitalA,
  hospitalB,
  problemType,
  publicUrl,
  register,
  registered,
  tokenA,
  tokenB,
  useWebhooksApiWorld,
} from './helpers/webhooks-api-world.ts';

/** Registering, reading and changing webhook endpoints (test/helpers/webhooks-api-world.ts). */
useWebhooksApiWorld();

describe('registering an endpoint', () => {
  it('needs a token with the recognition or admin scope', async () => {
    const anonymous = await ctx.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', payload: { url: publicUrl } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toBe(problemType);
    const reader = await makeHospitalClient(ctx.db, hospitalA, ['results:read']);
    const refused = await register(await tokenFor(ctx.app, reader.clientId, reader.clientSecret), { url: publicUrl });
    expect(refused.statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/webhook-deliveries' })).statusCode).toBe(401);
  });

  it("gives the hospital's endpoint and its secret once", async () => {
    const created = await register(tokenA, { url: publicUrl, description: 'Recall inbox' });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      hospitalId: hospitalA,
      url: publicUrl,
      description: 'Recall inbox',
      enabled: true,
      previousSecretExpiresAt: null,
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.createdBy).toMatch(new RegExp(`^${hospitalA}-client-`));

    const read = await ctx.app.inject({ url: `/v1/webhook-endpoints/${body.id}`, headers: bearer(tokenA) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).not.toHaveProperty('secret');
    expect(read.body).not.toContain(body.secret.slice(6));
    const list = await ctx.app.inject({ url: '/v1/webhook-endpoints', headers: bearer(tokenA) });
    expect(list.body).not.toContain(body.secret.slice(6));

    // Stored sealed, never as given.
    const row = await ctx.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(body.secret.slice(6));
    expect(row.created_by).toBe(body.createdBy);
    expect(ctx.logs()).not.toContain(body.secret.slice(6));
  });

  it("refuses another hospital's, and makes administrators name the hospital", async () => {
    const other = await register(tokenA, { hospitalId: hospitalB, url: publicUrl });
    expect(other.statusCode).toBe(403);
    const same = await registered(tokenA, { hospitalId: hospitalA, url: publicUrl });
    expect(same.hospitalId).toBe(hospitalA);

    const unnamed = await register(admin, { url: publicUrl });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.headers['content-type']).toBe(problemType);
    expect(unnamed.json().errors).toEqual([{ field: 'hospitalId', message: 'is required for administrators' }]);
    const unknown = await register(admin, { hospitalId: 'H-nowhere', url: publicUrl });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ field: 'hospitalId', message: 'is not a registered hospital' }]);
    expect((await registered(admin, { hospitalId: hospitalB, url: publicUrl })).hospitalId).toBe(hospitalB);
  });

  it.each([
    ['http://93.184.215.14/hooks', 'must be an https URL'],
    ['https://127.0.0.1/hooks', 'host 127.0.0.1 resolves to 127.0.0.1, which is not a public address'],
    ['https://10.0.0.8/hooks', 'host 10.0.0.8 resolves to 10.0.0.8, which is not a public address'],
    ['https://169.254.169.254/latest/meta-data', 'host 169.254.169.254 resolves to 169.254.169.254, which is not a public address'],
    ['https://[::ffff:192.168.0.1]/', 'host ::ffff:c0a8:1 resolves to ::ffff:c0a8:1, which is not a public address'],
    ['https://[fd00::1]/', 'host fd00::1 resolves to fd00::1, which is not a public address'],
    ['https://localhost/hooks', 'host localhost resolves to'],
    ['https://hospital:secret@93.184.215.14/hooks', 'must not contain credentials'],
    ['not-a-url', 'must be an absolute URL'],
    ['https://93.184.215.14/a b', 'must be printable ASCII without spaces'],
  ])('refuses %s as problem+json with the field', async (url, message) => {
    const refused = await register(tokenA, { url });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toBe(problemType);
    const { errors } = refused.json<{ errors: { field: string; message: string }[] }>();
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('url');
    expect(errors[0].message).toContain(message);
  });

  it('refuses long URLs, unknown fields and control characters', async () => {
    const long = await register(tokenA, { url: `https://93.184.215.14/${'a'.repeat(2_048)}` });
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0].field).toBe('url');
    const unknown = await register(tokenA, { url: publicUrl, secret: 'whsec_mine' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ field: 'secret', message: 'is not a recognised field' }]);
    const hidden = await register(tokenA, { url: publicUrl, description: 'a\u202Eb' });
    expect(hidden.statusCode).toBe(400);
    expect(hidden.json().errors[0].field).toBe('description');
  });

  it('keeps to ten enabled endpoints per hospital, registered at once or not; a disabled one frees its place', async () => {
    const hospital = await makeHospital(ctx.db);
    const registrations = await Promise.all(Array.from({ length: 14 }, () => register(admin, { hospitalId: hospital, url: publicUrl })));
    expect(registrations.map((r) => r.statusCode).sort()).toEqual([...Array(10).fill(201), ...Array(4).fill(409)]);
    expect(registrations.find((r) => r.statusCode === 409)!.json().type).toMatch(/too-many-endpoints$/);
    const first = registrations.find((r) => r.statusCode === 201)!.json<{ id: string }>();
    const patch = (enabled: boolean) =>
      ctx.app.inject({ method: 'PATCH', url: `/v1/webhook-endpoints/${first.id}`, headers: bearer(admin), payload: { enabled } });
    expect((await patch(false)).statusCode).toBe(200);
    const another = await registered(admin, { hospitalId: hospital, url: publicUrl });
    // All ten places taken again: the disabled one cannot come back, until another goes.
    expect((await patch(true)).statusCode).toBe(409);
    await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/webhook-endpoints/${another.id}`,
      headers: bearer(admin),
      payload: { enabled: false },
    });
    expect((await patch(true)).statusCode).toBe(200);
    expect((await patch(true)).statusCode).toBe(200);
  });
});

describe('reading and changing endpoints', () => {
  it("shows a hospital only its own endpoints: another's is not found", async () => {
    const ofA = await registered(tokenA);
    const ofB = await registered(tokenB);
    const listA = (await ctx.app.inject({ url: '/v1/webhook-endpoints', headers: bearer(tokenA) })).json<{
      endpoints: { id: string; hospitalId: string }[];
    }>();
    expect(listA.endpoints.map((e) => e.id)).toContain(ofA.id);
    expect(listA.endpoints.every((e) => e.hospitalId === hospitalA)).toBe(true);
    expect((await ctx.app.inject({ url: `/v1/webhook-endpoints?hospitalId=${hospitalB}`, headers: bearer(tokenA) })).statusCode).toBe(403);

    for (const [method, url, payload] of [
      ['GET', `/v1/webhook-endpoints/${ofB.id}`, undefined],
      ['PATCH', `/v1/webhook-endpoints/${ofB.id}`, { enabled: false }],
      ['POST', `/v1/webhook-endpoints/${ofB.id}/rotate-secret`, undefined],
      ['GET', `/v1/webhook-endpoints/${randomUUID()}`, undefined],
    ] as const) {
      const response = await ctx.app.inject({ method, url, headers: bearer(tokenA), payload });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers['content-type']).toBe(problemType);
    }
    expect((await ctx.app.inject({ url: `/v1/webhook-endpoints/${ofB.id}`, headers: bearer(tokenB) })).statusCode).toBe(200);

    const all = (await ctx.app.inject({ url: '/v1/webhook-endpoints', headers: bearer(admin) })).json<{ endpoints: { id: string }[] }>();
    expect(all.endpoints.map((e) => e.id)).toEqual(expect.arrayContaining([ofA.id, ofB.id]));
    const onlyB = (await ctx.app.inject({ url: `/v1/webhook-endpoints?hospitalId=${hospitalB}`, headers: bearer(admin) })).json<{
      endpoints: { hospitalId: string }[];
    }>();
    expect(onlyB.endpoints.every((e) => e.hospitalId === hospitalB)).toBe(true);
    expect((await ctx.app.inject({ url: '/v1/webhook-endpoints/not-a-uuid', headers: bearer(admin) })).statusCode).toBe(400);
  });

  it('disables, describes and moves an endpoint, checking the new URL', async () => {
    const { id } = await registered(tokenA, { url: publicUrl, description: 'old' });
    const patch = (payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'PATCH', url: `/v1/webhook-endpoints/${id}`, headers: bearer(tokenA), payload });
    ctx.clock.set('2026-12-01T10:00:00Z');
    const changed = await patch({ enabled: false, description: null });
    ctx.clock.release();
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ enabled: false, description: null, updatedAt: '2026-12-01T10:00:00.000Z' });
    expect((await patch({ url: 'https://192.168.1.10/hooks' })).json().errors[0].field).toBe('url');
    expect((await patch({ url: 'https://93.184.215.15/v2' })).json()).toMatchObject({ url: 'https://93.184.215.15/v2', enabled: false });
    expect((await patch({ enabled: true })).json().enabled).toBe(true);
    const empty = await patch({});
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['content-type']).toBe(problemType);
  });

  it('rotates the secret: a new one shown once, the previous one in force for 24 hours', async () => {
    const first = await registered(tokenA);
    ctx.clock.set('2026-12-02T08:00:00Z');
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${first.id}/rotate-secret`,
      headers: bearer(tokenA),
    });
    expect(rotated.statusCode).toBe(200);
    const body = rotated.json();
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.secret).not.toBe(first.secret);
    expect(body.previousSecretExpiresAt).toBe('2026-12-03T08:00:00.000Z');
    const read = await ctx.app.inject({ url: `/v1/webhook-endpoints/${first.id}`, headers: bearer(tokenA) });
    expect(read.json()).not.toHaveProperty('secret');
    expect(read.json().previousSecretExpiresAt).toBe('2026-12-03T08:00:00.000Z');
    ctx.clock.set('2026-12-03T08:00:01Z');
    const later = await ctx.app.inject({ url: `/v1/webhook-endpoints/${first.id}`, headers: bearer(tokenA) });
    expect(later.json().previousSecretExpiresAt).toBeNull();
    ctx.clock.release();
    const byAdmin = await ctx.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${first.id}/rotate-secret`,
      headers: bearer(admin),
    });
    expect(byAdmin.statusCode).toBe(200);
  });
});
