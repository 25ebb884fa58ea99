import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port nobody listens on right now (the product cannot report the one PORT=0 would pick). */
export { freePort } from '../../src/lib/net.js';

export interface ProductProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once every process holding its stdout/stderr (npm's children too) has closed them. */
  readonly closed: Promise<void>;
  /** Signals the process (its whole group when spawned through npm). */
  kill(signal: NodeJS.Signals): void;
  /** Polls /healthz until it answers 200. */
  waitHealthy(timeoutMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** `node --import tsx <file>` for a .ts entry point, `node <args>` for built JS, or an npm script. */
  command: { tsx: string } | { node: string[] } | { npm: string[] };
  port: number;
  /** The environment of the child: only this plus PATH/HOME, so nothing leaks in from the test runner. */
  env: Record<string, string | undefined>;
}

/** Runs a real entry point of the product as a child process. */
export function spawnProduct(options: SpawnOptions): ProductProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(options.port),
    HOST: '127.0.0.1',
  };
  for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
  const { command } = options;
  let file: string;
  let args: string[];
  let group = false;
  if ('tsx' in command) {
    file = process.execPath;
    args = ['--import', 'tsx', command.tsx];
  } else if ('node' in command) {
    file = process.execPath;
    args = command.node;
  } else {
    file = 'npm';
    args = command.npm;
    // npm runs the product under a shell: signal the whole group so a SIGKILL reaches node itself.
    group = true;
  }
  const child = spawn(file, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const baseUrl = `http://127.0.0.1:${options.port}`;
  return {
    child,
    baseUrl,
    output: () => output,
    exited,
    closed,
    kill: (signal) => {
      if (done || child.pid === undefined) return;
      if (group) process.kill(-child.pid, signal);
      else child.kill(signal);
    },
    waitHealthy: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (done) throw new Error(`the process exited before it was healthy:\n${output.slice(-4000)}`);
        const status = await fetch(`${baseUrl}/healthz`).then(
          (res) => res.status,
          () => 0,
        );
        if (status === 200) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`not healthy within ${timeoutMs} ms:\n${output.slice(-4000)}`);
    },
  };
}

/** Stops a process that a test left running (a failed assertion), without waiting forever. */
export async function ensureStopped(proc: ProductProcess | undefined): Promise<void> {
  if (!proc) return;
  proc.kill('SIGKILL');
  await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 5000))]);
}
