import { createHash } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ysOrderSchema } from '../src/integrations/yemeksepeti/schema.js';

/**
 * The second baseline: what a team writes when it does not have ordergate. Plain Hono, one pg pool and one
 * BullMQ queue, and per request the same durable work as the gateway: check the bearer token, parse and
 * validate the body (with the provider contract's zod schema, which such a team writes too), commit one
 * inbox row holding the body (the gateway's table, so the same indexes and unique key), add one job whose id
 * is the row's, answer 202 (200 for a duplicate). One statement and one Redis call per request: no batching,
 * no code of ours but the schema.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const SOURCE = 'handwritten';
const token = `Bearer ${env('HANDWRITTEN_TOKEN')}`;
// The gateway's default DATABASE_POOL_SIZE.
const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 20 });
const queue = new Queue('handwritten-inbox', {
  connection: new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 1 }),
  prefix: env('QUEUE_PREFIX'),
});

const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.post('/api/v2/yemeksepeti/order/create', async (c) => {
  if (c.req.header('authorization') !== token) return c.json({ error: 'unauthorized' }, 401);
  const raw = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return c.json({ error: 'malformed JSON' }, 400);
  }
  const parsed = ysOrderSchema.safeParse(body);
  if (!parsed.success) return c.json({ error: 'invalid body', issues: parsed.error.issues }, 400);
  const dedupKey = createHash('sha256').update(raw).digest('hex');
  const { rows } = await pool.query<{ id: string }>(
    `insert into inbound_events (source, dedup_key, event_type, external_order_id, payload)
     values ($1, $2, $3, $4, $5)
     on conflict (source, dedup_key) do nothing
     returning id`,
    [SOURCE, dedupKey, `order.${parsed.data.status.toLowerCase()}`, parsed.data.order_id, raw],
  );
  const id = rows[0]?.id;
  if (id === undefined) return c.json({ duplicate: true }, 200);
  await queue.add('inbound', { eventId: id }, { jobId: id });
  return c.json({ eventId: id }, 202);
});
app.onError((err, c) => c.json({ error: err.message }, 503));

const port = Number(process.env.PORT ?? 0);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`hand-written handler listening on ${info.port}\n`);
});
const stop = () => {
  void Promise.all([queue.close(), pool.end()]).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
