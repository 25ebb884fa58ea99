import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// The bare baseline: the same HTTP stack (Hono on @hono/node-server) parsing the same JSON body and answering
// with it, no auth, no validation, no storage.
const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.post('*', async (c) => c.json(await c.req.json(), 202));

const port = Number(process.env.PORT ?? 0);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`echo listening on ${info.port}\n`);
});
