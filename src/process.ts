import { Server as HttpServer } from 'node:http';
import path from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type Config, loadConfigOrExit } from './config.js';
import { createApp } from './gateway/app.js';
import { credentialsFromConfig } from './gateway/auth.js';
import {
  answerClientErrorsInEnvelope,
  httpServerOptions,
  limitConnections,
  lingerAfterEarlyAnswers,
} from './gateway/node-server.js';
import { createWorkerMetricsApp } from './gateway/worker-metrics.js';
import { integrations } from './integrations/index.js';
import { errorMessage } from './lib/errors.js';
import { createLogger, type Logger, prettyDestination, wantsPrettyLogs } from './lib/logger.js';
import { RedisUnavailableError } from './redis/connection.js';
import { openServices, resolveAdminToken, type Services } from './runtime.js';
import { type RunningWorkers, startWorkers } from './workers/index.js';

export interface Roles {
  web: boolean;
  worker: boolean;
}

export interface RunningProcess {
  services: Services;
  server?: ServerType;
  port?: number;
  /** Where the worker-only metrics server (WORKER_METRICS_PORT) listens, when it runs. */
  metricsAddress?: { address: string; port: number };
  workers?: RunningWorkers;
  stop(): Promise<void>;
}

/** Starts the gateway and/or the workers against the configured (or embedded) Postgres and Redis. */
export async function startProcess(config: Config, logger: Logger, roles: Roles): Promise<RunningProcess> {
  const services = await openServices(config, logger);
  let server: ServerType | undefined;
  let workers: RunningWorkers | undefined;
  let port: number | undefined;
  let metricsServer: ServerType | undefined;
  let metricsAddress: { address: string; port: number } | undefined;
  try {
    if (roles.worker) {
      workers = await startWorkers(services.ctx, integrations, {
        connection: services.workerConnection,
        metrics: services.metrics,
        listen: services.database.listen,
      });
      logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'workers started');
    }
    if (roles.web) {
      const adminToken = await resolveAdminToken(config, logger);
      const app = createApp({ deps: services.gatewayDeps, integrations, adminToken });
      const listening = await listen(app.fetch, config.PORT, config.HOST, config, logger);
      server = listening.server;
      port = listening.address.port;
      logger.info({ port }, 'gateway listening');
      if (config.WORKER_METRICS_PORT !== undefined) {
        logger.info('WORKER_METRICS_PORT is ignored: this process serves GET /admin/metrics on the gateway');
      }
    } else if (roles.worker && config.WORKER_METRICS_PORT !== undefined) {
      const credentials = credentialsFromConfig(config, await resolveAdminToken(config, logger));
      const app = createWorkerMetricsApp({ metrics: services.metrics, credentials, logger });
      const listening = await listen(
        app.fetch,
        config.WORKER_METRICS_PORT,
        config.WORKER_METRICS_HOST,
        config,
        logger,
      );
      metricsServer = listening.server;
      metricsAddress = listening.address;
      // `address` is a redacted log key (customer addresses): log the bind address as `host`.
      logger.info({ host: metricsAddress.address, port: metricsAddress.port }, 'worker metrics listening');
    }
  } catch (err) {
    await Promise.all([server, metricsServer].map(closeServer));
    await workers?.close();
    await services.close();
    throw err;
  }
  const runningServer = server;
  const runningMetricsServer = metricsServer;
  return {
    services,
    ...(runningServer ? { server: runningServer } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(metricsAddress ? { metricsAddress } : {}),
    ...(workers ? { workers } : {}),
    stop: async () => {
      // Stop accepting first, then let active jobs finish, then close connections.
      await Promise.all([runningServer, runningMetricsServer].map(closeServer));
      await workers?.close();
      await services.close();
    },
  };
}

/** Serves `fetch` with Node's limits for slow clients; resolves with the bound address (port 0 picks one). */
async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
  config: Config,
  logger: Logger,
): Promise<{ server: ServerType; address: { address: string; port: number } }> {
  let server: ServerType | undefined;
  const address = await new Promise<{ address: string; port: number }>((resolve, reject) => {
    // Slow or stalled clients must not hold sockets forever (REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS).
    // The unread rest of a body answered early is discarded by `lingerAfterEarlyAnswers`, not by @hono's clean-up.
    const started = serve(
      { fetch, port, hostname, serverOptions: httpServerOptions(config), autoCleanupIncoming: false },
      (info) => resolve({ address: info.address, port: info.port }),
    );
    server = started;
    started.once('error', reject);
    if (started instanceof HttpServer) {
      answerClientErrorsInEnvelope(started, logger);
      lingerAfterEarlyAnswers(started);
      limitConnections(started, config);
    }
  });
  if (!server) throw new Error('the HTTP server did not start');
  return { server, address };
}

/**
 * What `npm start` prints once the gateway answers: where a person goes next. The URLs use `localhost` when
 * the gateway listens on every interface.
 */
export function readyBanner(config: Pick<Config, 'HOST' | 'ADMIN_TOKEN' | 'DATA_DIR'>, port: number): string {
  const host = ['0.0.0.0', '::', ''].includes(config.HOST) ? 'localhost' : config.HOST;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const token = config.ADMIN_TOKEN
    ? 'ADMIN_TOKEN'
    : `the token in ${path.join(config.DATA_DIR, 'admin-token')}`;
  return [
    '',
    `ordergate is ready on ${base}`,
    `  console        ${base}/admin/console   (sign in with ${token})`,
    `  API reference  ${base}/docs   (OpenAPI 3.1: ${base}/openapi.json)`,
    `  job dashboard  ${base}/admin/queues   (sign in with any user name and ${token} as the password)`,
    '',
    '',
  ].join('\n');
}

function closeServer(server: ServerType | undefined): Promise<void> {
  return new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** Entry point body shared by `main`, `web` and `worker`: config, start, SIGTERM/SIGINT → graceful exit 0. */
export async function runMain(roles: Roles): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(
    config.LOG_LEVEL,
    wantsPrettyLogs(config.NODE_ENV, process.stdout.isTTY) ? await prettyDestination() : undefined,
  );
  let running: RunningProcess;
  try {
    running = await startProcess(config, logger, roles);
    if (running.port !== undefined) process.stdout.write(readyBanner(config, running.port));
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    running.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
