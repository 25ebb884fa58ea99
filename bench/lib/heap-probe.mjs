// Preloaded into the worker by the memory section when BENCH_HEAP_PROBE=1 (through NODE_OPTIONS): once loaded it
// writes `{"ready":true}` to BENCH_HEAP_PROBE_FILE; on each SIGUSR2 it runs a full garbage collection and appends
// the heap that is left, one JSON line per signal. What survives a full collection is what the process keeps;
// RSS alone also counts the garbage V8 has not collected yet and the pages it has not given back.
import { appendFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_HEAP_PROBE_FILE;
if (isMainThread && file) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  process.on('SIGUSR2', () => {
    gc();
    const { heapUsed, rss, external } = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ heapUsed, rss, external })}\n`);
  });
  appendFileSync(file, `${JSON.stringify({ ready: true })}\n`);
}
