import { printSection, type SectionResult, saveSection } from './lib/report.js';
import { log } from './lib/system.js';
import { e2eSection } from './sections/e2e.js';
import { ingestSection } from './sections/ingest.js';
import { memorySection } from './sections/memory.js';
import { memoryEmbeddedSection } from './sections/memory-embedded.js';
import { querySection } from './sections/query.js';
import { scaleSection } from './sections/scale.js';
import { loadSettings } from './sections/settings.js';

// `npm run bench` runs every section; `npm run bench -- ingest query` runs those. Never part of `npm test`.
type Settings = ReturnType<typeof loadSettings>;

/**
 * `memory` measures the worker on Postgres and `npm start` on embedded defaults (BENCH_MEMORY_MODE picks one);
 * each is its own result.
 */
async function memorySections(s: Settings): Promise<SectionResult[]> {
  const results: SectionResult[] = [];
  if (s.memoryMode !== 'embedded') results.push(await memorySection(s));
  if (s.memoryMode !== 'worker') results.push(await memoryEmbeddedSection(s));
  return results;
}

const sections: Record<string, (s: Settings) => Promise<SectionResult | SectionResult[]>> = {
  ingest: ingestSection,
  e2e: e2eSection,
  memory: memorySections,
  query: querySection,
  scale: scaleSection,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(sections);
const unknown = names.filter((n) => !(n in sections));
if (unknown.length) {
  process.stderr.write(
    `unknown section(s): ${unknown.join(', ')}; known: ${Object.keys(sections).join(', ')}\n`,
  );
  process.exit(2);
}
const settings = loadSettings();
let failed = false;
for (const name of names) {
  const run = sections[name];
  if (!run) continue;
  log(`section ${name}`);
  try {
    const outcome = await run(settings);
    for (const result of Array.isArray(outcome) ? outcome : [outcome]) {
      printSection(result);
      // BENCH_SAVE=0: a trial run (short or on a busy machine) that must not replace the recorded results.
      if (process.env.BENCH_SAVE !== '0') saveSection(result);
    }
  } catch (err) {
    failed = true;
    process.stderr.write(
      `section ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
}
process.exit(failed ? 1 : 0);
