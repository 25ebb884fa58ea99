/**
 * The one-way layers of src/, checked by `npm run lint` (depcruise). Arrows point down only:
 *
 *   gateway ──► integrations ──► orders ──► db          workers ──► integrations, outbox
 *      └──────► http, queues, lib (neutral: imported by anyone, importing no layer above them)
 *
 * Composition roots (src/main.ts, src/web.ts, src/worker.ts, src/runtime.ts, src/config.ts) may import
 * anything. Tests (*.test.ts) may import anything. A rule's name and comment are what a failing lint prints.
 */
const notTests = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared part into the lower of the two modules.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'integrations-not-to-gateway',
      severity: 'error',
      comment:
        'An integration imports the gateway. Use the neutral HTTP helpers in src/http (validate, readJsonBody, ' +
        'the envelope, route types) instead.',
      from: { path: '^src/integrations/', pathNot: notTests },
      to: { path: '^src/gateway/' },
    },
    {
      name: 'orders-only-to-db-and-neutral',
      severity: 'error',
      comment:
        'The orders core imports a layer above it. src/orders may import only src/db, src/lib and itself; ' +
        'callers hand it what it needs.',
      from: { path: '^src/orders/', pathNot: notTests },
      to: { path: '^src/(gateway|workers|integrations|inbox|outbox|reconciliation|http|queues)/' },
    },
    {
      name: 'db-only-to-lib',
      severity: 'error',
      comment: 'src/db imports the domain or a layer above it: tables and migrations know nothing of them.',
      from: { path: '^src/db/', pathNot: notTests },
      to: { path: '^src/(gateway|workers|integrations|inbox|outbox|reconciliation|orders|http|queues)/' },
    },
    {
      name: 'lib-is-neutral',
      severity: 'error',
      comment: 'src/lib is imported by every layer and imports none of them.',
      from: { path: '^src/lib/', pathNot: notTests },
      to: { path: '^src/(gateway|workers|integrations|inbox|outbox|reconciliation|orders|http|queues|db)/' },
    },
    {
      name: 'http-and-queues-are-neutral',
      severity: 'error',
      comment:
        'src/http and src/queues are shared by the gateway, the inbox, the integrations and the workers, so ' +
        'they import none of those (type-only imports of the inbox, for the ingest signature, are allowed).',
      from: { path: '^src/(http|queues)/', pathNot: notTests },
      to: {
        path: '^src/(gateway|workers|integrations|inbox|outbox|reconciliation|orders)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'inbox-not-up',
      severity: 'error',
      comment:
        'The inbox uses the queue definitions in src/queues, never the workers, gateway or integrations.',
      from: { path: '^src/inbox/', pathNot: notTests },
      to: { path: '^src/(gateway|workers|integrations|reconciliation)/' },
    },
    {
      name: 'integrations-not-up',
      severity: 'error',
      comment:
        'An integration imports the workers or the outbox relay: they call integrations, not the other way round.',
      from: { path: '^src/integrations/', pathNot: notTests },
      to: { path: '^src/(workers|outbox|reconciliation)/' },
    },
    {
      name: 'integrations-type-only-to-inbox',
      severity: 'error',
      comment:
        'An integration reaches the inbox through the injected ingest function; it may import its types only.',
      from: { path: '^src/integrations/', pathNot: notTests },
      to: { path: '^src/inbox/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'outbox-not-up',
      severity: 'error',
      comment:
        'The outbox relay changes orders only through order commands; it never imports the gateway or workers.',
      from: { path: '^src/outbox/', pathNot: notTests },
      to: { path: '^src/(gateway|workers)/' },
    },
    {
      name: 'workers-not-to-gateway',
      severity: 'error',
      comment: 'Workers run without the gateway: share the piece through src/http, src/queues or src/lib.',
      from: { path: '^src/workers/', pathNot: notTests },
      to: { path: '^src/gateway/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
