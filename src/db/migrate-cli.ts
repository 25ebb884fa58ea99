import { loadConfigOrExit } from '../config.js';
import { migrateToLatest, openDatabase } from './index.js';

const config = loadConfigOrExit();
const handle = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  const applied = await migrateToLatest(handle.db);
  process.stdout.write(
    applied.length ? `applied: ${applied.join(', ')}\n` : `database (${handle.kind}) is up to date\n`,
  );
} finally {
  await handle.close();
}
