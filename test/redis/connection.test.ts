import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { freePort } from '../../src/lib/net.js';
import {
  createRedisConnection,
  RedisUnavailableError,
  type ResolvedRedis,
  resolveRedis,
  warnIfEvictingPolicy,
} from '../../src/redis/connection.js';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Captured {
  logger: Logger;
  lines: Array<{ level: number; msg: string; maxmemoryPolicy?: string }>;
}

function captureLogger(): Captured {
  const lines: Captured['lines'] = [];
  const logger = createLogger('debug', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const WARN = 40;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answersPing(url: string): Promise<boolean> {
  const client = createRedisConnection(url, { lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Producer connections have no offline queue: commands sent before 'ready' fail, so connect first. */
async function connected(url: string): Promise<Redis> {
  const client = createRedisConnection(url, { lazyConnect: true });
  await client.connect();
  return client;
}

const tmpDirs: string[] = [];
async function tmpDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ordergate-redis-'));
  tmpDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('resolveRedis', () => {
  describe('when REDIS_URL is set', () => {
    it('uses it as is and launches nothing', async () => {
      const { logger } = captureLogger();
      const resolved = await resolveRedis({
        redisUrl: 'redis://example.invalid:6380/2',
        dataDir: await tmpDir(),
        logger,
        redisServerPath: '/nonexistent/redis-server',
      });
      expect(resolved).toMatchObject({ url: 'redis://example.invalid:6380/2', embedded: false });
      await resolved.stop();
    });
  });

  describe('when a Redis already answers on the probe address', () => {
    it('uses it without launching a server', async () => {
      const { logger } = captureLogger();
      const resolved = await resolveRedis({
        dataDir: await tmpDir(),
        logger,
        probeHost: '127.0.0.1',
        probePort: 6379,
        redisServerPath: '/nonexistent/redis-server',
      });
      expect(resolved).toMatchObject({ url: 'redis://127.0.0.1:6379', embedded: false });
      await resolved.stop();
    });
  });

  describe('when nothing listens on the probe port', () => {
    let resolved: ResolvedRedis | undefined;
    afterEach(async () => {
      await resolved?.stop();
      resolved = undefined;
    });

    it('launches a private redis-server with AOF files under the data dir, and stop() ends it', async () => {
      const { logger } = captureLogger();
      const dataDir = await tmpDir();
      resolved = await resolveRedis({ dataDir, logger, probePort: await freePort() });

      expect(resolved.embedded).toBe(true);
      expect(resolved.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(resolved.url).not.toBe('redis://127.0.0.1:6379');
      expect(await answersPing(resolved.url)).toBe(true);
      const aofFiles = await readdir(path.join(dataDir, 'redis', 'appendonlydir'));
      expect(aofFiles).toContain('appendonly.aof.manifest');
      expect(aofFiles.some((file) => file.endsWith('.incr.aof'))).toBe(true);

      const { url } = resolved;
      await resolved.stop();
      resolved = undefined;
      expect(await answersPing(url)).toBe(false);
      // redis removes its pid file only on a clean shutdown, after the final AOF fsync.
      expect(existsSync(path.join(dataDir, 'redis', 'redis.pid'))).toBe(false);
    });

    it('keeps data written before a restart on the same data dir', async () => {
      const { logger } = captureLogger();
      const dataDir = await tmpDir();
      resolved = await resolveRedis({ dataDir, logger, probePort: await freePort() });
      const writer = await connected(resolved.url);
      await writer.set('ordergate:test:durable', 'kept');
      writer.disconnect();
      await resolved.stop();

      resolved = await resolveRedis({ dataDir, logger, probePort: await freePort() });
      const reader = await connected(resolved.url);
      try {
        expect(await reader.get('ordergate:test:durable')).toBe('kept');
      } finally {
        reader.disconnect();
      }
    });
  });

  describe('when the parent process exits without calling stop()', () => {
    it('takes the private redis-server down with it', async () => {
      const dataDir = await tmpDir();
      const probePort = await freePort();
      const script = `
        import { resolveRedis } from './src/redis/connection.ts';
        import { createLogger } from './src/lib/logger.ts';
        const r = await resolveRedis({ dataDir: ${JSON.stringify(dataDir)}, probePort: ${probePort}, logger: createLogger('silent') });
        process.stdout.write(r.url);
      `;
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          cwd: repoRoot,
          timeout: 20_000,
        },
      );
      expect(stdout).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      // SIGTERM is asynchronous: give redis its graceful shutdown.
      const until = Date.now() + 5_000;
      while ((await answersPing(stdout)) && Date.now() < until) await sleep(100);
      expect(await answersPing(stdout)).toBe(false);
    }, 30_000);
  });

  describe('when a private redis-server orphaned by a killed parent still holds the data dir', () => {
    it('stops the orphan before starting a new server on the same AOF', async () => {
      const dataDir = await tmpDir();
      const redisDir = path.join(dataDir, 'redis');
      await mkdir(redisDir, { recursive: true });
      const orphanPort = await freePort();
      const orphan = spawn(
        'redis-server',
        ['--port', String(orphanPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes'].concat([
          '--dir',
          redisDir,
          '--pidfile',
          path.join(redisDir, 'redis.pid'),
        ]),
        { stdio: 'ignore' },
      );
      const orphanExited = new Promise((resolve) => orphan.once('exit', resolve));
      const until = Date.now() + 5_000;
      while (!(await answersPing(`redis://127.0.0.1:${orphanPort}`)) && Date.now() < until) await sleep(50);
      while (!existsSync(path.join(redisDir, 'redis.pid')) && Date.now() < until) await sleep(50);

      const { logger } = captureLogger();
      const resolved = await resolveRedis({ dataDir, logger, probePort: await freePort() });
      try {
        await orphanExited;
        expect(orphan.exitCode !== null || orphan.signalCode !== null).toBe(true);
        expect(await answersPing(resolved.url)).toBe(true);
      } finally {
        orphan.kill('SIGKILL');
        await resolved.stop();
      }
    }, 20_000);
  });

  describe('when redis-server is not on PATH', () => {
    it('throws RedisUnavailableError with one line on how to install it or set REDIS_URL', async () => {
      const { logger } = captureLogger();
      const savedPath = process.env.PATH;
      process.env.PATH = await tmpDir();
      let error: unknown;
      try {
        await resolveRedis({ dataDir: await tmpDir(), logger, probePort: await freePort() });
      } catch (err) {
        error = err;
      } finally {
        process.env.PATH = savedPath;
      }
      expect(error).toBeInstanceOf(RedisUnavailableError);
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain('apt-get install redis-server');
      expect(message).toContain('brew install redis');
      expect(message).toContain('REDIS_URL');
    });
  });

  describe('when the given redis-server path does not exist', () => {
    it('throws RedisUnavailableError', async () => {
      const { logger } = captureLogger();
      await expect(
        resolveRedis({
          dataDir: await tmpDir(),
          logger,
          probePort: await freePort(),
          redisServerPath: '/nonexistent/redis-server',
        }),
      ).rejects.toBeInstanceOf(RedisUnavailableError);
    });
  });
});

describe('createRedisConnection', () => {
  describe('when Redis is down and the connection is a producer', () => {
    it('fails a command fast instead of queueing it', async () => {
      const client = createRedisConnection(`redis://127.0.0.1:${await freePort()}`);
      client.on('error', () => {});
      try {
        const started = Date.now();
        await expect(client.set('ordergate:test:k', 'v')).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        client.disconnect();
      }
    });
  });

  describe('when the connection is for a BullMQ worker', () => {
    it('retries requests forever, as BullMQ requires', () => {
      const client = createRedisConnection('redis://127.0.0.1:6379', { forWorker: true, lazyConnect: true });
      expect(client.options.maxRetriesPerRequest).toBeNull();
      expect(client.options.enableOfflineQueue).toBe(true);
      client.disconnect();
    });
  });
});

describe('warnIfEvictingPolicy', () => {
  let server: ResolvedRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await resolveRedis({
      dataDir: await tmpDir(),
      logger: captureLogger().logger,
      probePort: await freePort(),
    });
    client = await connected(server.url);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  describe('when the policy is allkeys-lru', () => {
    it('warns with the policy', async () => {
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const { logger, lines } = captureLogger();
      expect(await warnIfEvictingPolicy(client, logger)).toBe('allkeys-lru');
      const warnings = lines.filter((line) => line.level === WARN);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.maxmemoryPolicy).toBe('allkeys-lru');
    });
  });

  describe('when the policy is noeviction', () => {
    it('stays quiet', async () => {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      const { logger, lines } = captureLogger();
      expect(await warnIfEvictingPolicy(client, logger)).toBe('noeviction');
      expect(lines.filter((line) => line.level >= WARN)).toHaveLength(0);
    });
  });

  describe('when the connection was just created and is not ready yet', () => {
    it('waits for it instead of skipping the check', async () => {
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const fresh = createRedisConnection(server.url);
      try {
        const { logger, lines } = captureLogger();
        expect(await warnIfEvictingPolicy(fresh, logger)).toBe('allkeys-lru');
        expect(lines.filter((line) => line.level === WARN)).toHaveLength(1);
      } finally {
        fresh.disconnect();
        await client.config('SET', 'maxmemory-policy', 'noeviction');
      }
    });
  });

  describe('when CONFIG is disabled', () => {
    it('does not throw or warn', async () => {
      const disabled = {
        config: async () => {
          throw new Error("ERR unknown command 'CONFIG'");
        },
      } as unknown as Redis;
      const { logger, lines } = captureLogger();
      expect(await warnIfEvictingPolicy(disabled, logger)).toBeUndefined();
      expect(lines.filter((line) => line.level >= WARN)).toHaveLength(0);
    });
  });
});
