import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/**
 * The embedded database's memory. PGlite is Postgres compiled to WebAssembly inside our process, so its
 * buffers are our RSS: initdb's defaults (128 MB of shared buffers, 64 MB for maintenance work) are sized
 * for a server of its own. The embedded default serves one machine's worth of orders: 16 MB of shared
 * buffers hold its hot pages, and migrations' index builds fit in 16 MB of maintenance memory. Per-query
 * `work_mem` keeps Postgres' 4 MB.
 */
export const PGLITE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=16MB',
  '-c',
  'maintenance_work_mem=16MB',
];

const execFileAsync = promisify(execFile);

/** The global WebAssembly object (this project's TypeScript libs declare its types, not the value). */
const wasm = (
  globalThis as unknown as {
    WebAssembly: { compile(bytes: Uint8Array): Promise<NonNullable<PGliteOptions['pgliteWasmModule']>> };
  }
).WebAssembly;

/**
 * Creates a new data directory in a short-lived child process. initdb runs as a second WebAssembly instance
 * and leaves about 550 MB of RSS behind in the process that ran it (its memory is not returned to the
 * system); in a child, it is gone when the child exits.
 */
async function initDataDir(dataDir: string, entry: string): Promise<void> {
  const script = `const { PGlite } = await import(${JSON.stringify(entry)});
const db = await PGlite.create(${JSON.stringify(dataDir)});
await db.close();`;
  await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { timeout: 300_000 });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Opens PGlite on `dataDir` (created first if new), or in memory when `dataDir` is undefined. */
export async function openPglite(
  dataDir: string | undefined,
  options: Pick<PGliteOptions, 'parsers' | 'extensions'>,
): Promise<PGlite> {
  if (dataDir !== undefined && !(await exists(path.join(dataDir, 'PG_VERSION')))) {
    // The child compiles PGlite's WebAssembly for itself; this process compiles its own copy meanwhile
    // instead of after, so a first start takes hardly longer than initdb in-process did.
    const entry = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
    const [pgliteWasmModule] = await Promise.all([
      readFile(new URL('./pglite.wasm', entry)).then((bytes) => wasm.compile(bytes)),
      initDataDir(dataDir, entry),
    ]);
    return PGlite.create(dataDir, { ...options, startParams: [...PGLITE_START_PARAMS], pgliteWasmModule });
  }
  return PGlite.create(dataDir, { ...options, startParams: [...PGLITE_START_PARAMS] });
}
