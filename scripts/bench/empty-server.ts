// The benchmark's HTTP limit: Fastify with one route that parses the same JSON body as a recognition
// check and answers a constant, with no logging, auth or database. Started as a child process.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ready', async () => ({ ok: true }));
app.post('/empty', async () => ({ ok: true }));
await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
