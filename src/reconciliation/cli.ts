import pino from 'pino';
import { loadConfigOrExit } from '../config.js';
import { integrations } from '../integrations/index.js';
import { errorMessage } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { openServices } from '../runtime.js';
import { nextWindow, ReconciliationBusyError, runReconciliation } from './run.js';
import { summarize } from './summary.js';

/**
 * `npm run reconcile` (built: `node dist/src/reconciliation/cli.js`): one reconciliation run for an external
 * scheduler (a Kubernetes CronJob, system cron). It is stored like a scheduled run (trigger `cli`), its summary
 * goes to stdout, logs to stderr. Exit 0: the run succeeded, or another run was in progress and this one did
 * not start; 1: the run failed; 2: it could not run (configuration, database, Redis).
 */
const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL, pino.destination(2));
let code = 2;
try {
  const services = await openServices(config, logger);
  try {
    const window = await nextWindow(services.ctx.db, config.RECONCILE_WINDOW_MS);
    const run = await runReconciliation(services.ctx, integrations, { trigger: 'cli', window });
    process.stdout.write(summarize(run));
    code = run.status === 'succeeded' ? 0 : 1;
  } catch (err) {
    if (!(err instanceof ReconciliationBusyError)) throw err;
    process.stdout.write(`skipped: reconciliation run ${err.runningId} is still running\n`);
    code = 0;
  } finally {
    await services.close();
  }
} catch (err) {
  process.stderr.write(`reconciliation could not run: ${errorMessage(err)}\n`);
}
process.exit(code);
