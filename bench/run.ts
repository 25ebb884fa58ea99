import { printSection, type SectionResult, saveSection } from './lib/report.js';
import { log } from './lib/system.js';
import { e2eSection } from './sections/e2e.js';
import { ingestSection } from './sections/ingest.js';
import { memorySection } from './sections/memory.js';
import { querySection } from './sections/query.js';
import { scaleSection } from './sections/scale.js';
import { loadSettings } from './sections/settings.js';

// `npm run bench` runs every section; `npm run bench -- ingest query` runs those. Never part of `npm test`.
const sections: Record<string, (s: ReturnType<typeof loadSettings>) => Promise<SectionResult>> = {
  ingest: ingestSection,
  e2e: e2eSection,
  memory: memorySection,
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
    const result = await run(settings);
    printSection(result);
    saveSection(result);
  } catch (err) {
    failed = true;
    process.stderr.write(
      `section ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
}
process.exit(failed ? 1 : 0);
