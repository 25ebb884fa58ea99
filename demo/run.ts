/**
 * `npm run demo`: plays a realistic mix of traffic through every channel against a running instance
 * (`npm run start:demo`, which is `npm start` with demo/demo.env), with the providers' systems faked locally,
 * then prints what happened and where to look (demo/report.ts). A channel is one function in demo/channels/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MARKET_STORE } from '../test/integrations/yemeksepeti/fixtures.js';
import { FakeGoBiz } from '../test/support/fake-gobiz.js';
import { FakeProviderSystem } from '../test/support/fake-onebasket.js';
import { FakeYemeksepeti } from '../test/support/fake-yemeksepeti.js';
import { GOFOOD_AUTO_OUTLET, GOFOOD_MANUAL_OUTLET, gofoodChannel } from './channels/gofood.js';
import { manualChannel } from './channels/manual.js';
import { onebasketChannel } from './channels/onebasket.js';
import { yemeksepetiChannel } from './channels/yemeksepeti.js';
import { createDemo, type Demo, demoEnv, portOf } from './lib.js';
import { report } from './report.js';

const base = (process.env.BASE ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const env = demoEnv();

async function adminToken(): Promise<string> {
  if (process.env.TOKEN) return process.env.TOKEN;
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const file = path.resolve(process.env.DATA_DIR ?? '.data', 'admin-token');
  return (await readFile(file, 'utf8').catch(() => '')).trim();
}

function fail(message: string): never {
  process.stderr.write(`\n${message}\n`);
  process.exit(1);
}

async function checkInstance(demo: Demo): Promise<void> {
  const ready = await fetch(`${base}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  if (ready !== 200)
    fail(`No ready instance at ${base}. Start one with \`npm run start:demo\` (or set BASE).`);
  if ((await demo.admin('GET', '/admin/orders?limit=1')).status !== 200) {
    fail("The admin token was refused: set TOKEN (or ADMIN_TOKEN) to the instance's admin token.");
  }
  // An empty body with the demo's token: 400 when the instance knows the token, 401 when it does not.
  const probe = await fetch(`${base}/api/v2/yemeksepeti/market/order/create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.YEMEKSEPETI_MARKET_TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (probe.status === 401) {
    fail(
      'The instance does not know the demo providers: start it with `npm run start:demo` (npm start + demo/demo.env).',
    );
  }
}

async function configure(demo: Demo): Promise<void> {
  const put = async (pathname: string, body: unknown) => {
    const res = await demo.admin('PUT', pathname, body);
    if (res.status !== 200) fail(`PUT ${pathname} answered ${res.status}: ${JSON.stringify(res.json)}`);
  };
  await put('/admin/warehouses/IST-KADIKOY', {
    category: 'market',
    name: 'Kadıköy market',
    externalStoreIds: [MARKET_STORE],
  });
  await put('/admin/warehouses/IST-KADIKOY/stock', {
    items: [
      { sku: 'SU-19L', onHand: 400 },
      { sku: 'PEYNIR-KG', onHand: 50_000 },
    ],
  });
  await put('/admin/warehouses/JKT-KITCHEN', { category: 'market', name: 'Jakarta kitchen' });
  await put('/admin/warehouses/JKT-KITCHEN/stock', {
    items: [
      { sku: 'SKU-COMBO', onHand: 200 },
      { sku: 'SKU-AYAM', onHand: 200 },
    ],
  });
  await put(`/admin/gofood/outlets/${GOFOOD_AUTO_OUTLET}`, {
    acceptanceMode: 'auto',
    warehouse: 'JKT-KITCHEN',
  });
  await put(`/admin/gofood/outlets/${GOFOOD_MANUAL_OUTLET}`, {
    acceptanceMode: 'manual',
    warehouse: 'JKT-KITCHEN',
  });
  demo.say(
    'warehouses IST-KADIKOY (Yemeksepeti store ' +
      MARKET_STORE +
      ') and JKT-KITCHEN with stock; GoFood outlets auto and manual',
  );
}

const started = new Date().toISOString();

/** Every channel's scenario; a new channel adds one function here. */
const channels: { name: string; play: (demo: Demo) => Promise<void> }[] = [];

const token = await adminToken();
const demo = createDemo(base, token, env);
await checkInstance(demo);
const ys = new FakeYemeksepeti();
const gobiz = new FakeGoBiz();
// OneBasket's provider systems: the instance learns their addresses when the demo registers them.
const basketProviders = [
  new FakeProviderSystem('demo-kitchen', { lock: 'grant', order: 'pending', supportsCallbacks: true }),
  new FakeProviderSystem('demo-market', { lock: 'grant', order: 'confirm', supportsCallbacks: false }),
];
try {
  for (const provider of basketProviders) await provider.start();
  await ys
    .start(portOf(env.YEMEKSEPETI_API_URL))
    .catch(() => fail(`port ${portOf(env.YEMEKSEPETI_API_URL)} (the demo's Yemeksepeti API) is taken`));
  await gobiz
    .start(portOf(env.GOFOOD_API_URL))
    .catch(() => fail(`port ${portOf(env.GOFOOD_API_URL)} (the demo's GoBiz) is taken`));
  channels.push(
    { name: 'manual (storefront)', play: manualChannel },
    { name: 'Yemeksepeti', play: (d) => yemeksepetiChannel(d, ys) },
    { name: 'GoFood', play: (d) => gofoodChannel(d, gobiz) },
    { name: 'OneBasket', play: (d) => onebasketChannel(d, basketProviders) },
  );
  process.stdout.write(`ordergate demo against ${base} (run ${demo.run})\n\nSetup:\n`);
  await configure(demo);
  for (const channel of channels) {
    process.stdout.write(`\n${channel.name}:\n`);
    await channel.play(demo);
  }
  process.stdout.write('\nWaiting for the workers to finish…\n');
  await demo.settle();
  await report(demo, started);
} finally {
  await ys.close();
  await gobiz.close();
  await Promise.all(basketProviders.map((p) => p.close().catch(() => {})));
}
