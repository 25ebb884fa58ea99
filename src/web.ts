import { runMain } from './process.js';

// Procfile web: the gateway only.
await runMain({ web: true, worker: false });
