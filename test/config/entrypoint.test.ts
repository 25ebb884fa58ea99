import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

/** Runs an entry point in a child process with exactly the given environment (plus PATH). */
function run(entry: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      tsx,
      [path.join(root, entry)],
      { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.each(['src/main.ts', 'src/web.ts', 'src/worker.ts'])(
  'when %s starts with a bad environment',
  (entry) => {
    it('exits 1 printing every problem, before opening anything', async () => {
      const result = await run(entry, {
        PORT: 'abc',
        DATABASE_URL: 'notaurl',
        LOG_LEVEL: 'loud',
        DATA_DIR: '/nonexistent/should-not-be-created',
      });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toBe('Invalid configuration:');
      expect(
        lines
          .slice(1)
          .map((l) => l.replace(/^ {2}- /, '').split(':')[0])
          .sort(),
      ).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      // A readable list, not a stack trace or a JSON log line.
      expect(result.stderr).not.toMatch(/\bat .+\.ts:\d+/);
      expect(result.stdout).toBe('');
    });
  },
);
