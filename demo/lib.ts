import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The instance settings in demo/demo.env, which the demo's providers and pushes must agree with. */
export function demoEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const text = readFileSync(path.join(import.meta.dirname, 'demo.env'), 'utf8');
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1]) env[match[1]] = (match[2] ?? '').trim();
  }
  return env;
}

export function portOf(url: string | undefined): number {
  return Number(new URL(url ?? 'http://127.0.0.1:0').port);
}

/** What a channel's scenario uses: the instance, its admin token, the demo settings and a narrator. */
export interface Demo {
  base: string;
  token: string;
  env: Record<string, string>;
  /** A tag in every id of this run, so the demo can run again on the same instance. */
  run: string;
  say(line: string): void;
  admin(method: string, pathname: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** Polls until the channel's order with this external id exists; resolves with its id. */
  orderId(channel: string, externalOrderId: string): Promise<string>;
  /** Polls until nothing is left to do: no inbox event waiting or retrying, no outbox message in flight. */
  settle(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createDemo(base: string, token: string, env: Record<string, string>): Demo {
  const admin: Demo['admin'] = async (method, pathname, body) => {
    const res = await fetch(`${base}${pathname}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, json };
  };
  const total = async (query: string, list = 'events') => {
    const { json } = await admin('GET', `/admin/${list}?${query}&limit=1`);
    return (json as { total?: number }).total ?? 0;
  };
  return {
    base,
    token,
    env,
    run: Date.now().toString(36),
    say: (line) => process.stdout.write(`  ${line}\n`),
    admin,
    orderId: async (channel, externalOrderId) => {
      for (let i = 0; i < 150; i++) {
        const { json } = await admin(
          'GET',
          `/admin/orders?channel=${channel}&externalOrderId=${encodeURIComponent(externalOrderId)}`,
        );
        const id = (json as { data?: { id: string }[] }).data?.[0]?.id;
        if (id) return id;
        await sleep(200);
      }
      throw new Error(`no ${channel} order ${externalOrderId} after 30 s: is the instance's worker running?`);
    },
    settle: async () => {
      for (let i = 0; i < 300; i++) {
        const open = await Promise.all([
          total('status=received'),
          total('status=failed'),
          total('status=pending', 'outbox'),
          total('status=enqueued', 'outbox'),
        ]);
        if (open.every((n) => n === 0)) return;
        await sleep(200);
      }
    },
  };
}
