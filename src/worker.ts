import { runMain } from './process.js';

// Procfile worker: workers and the scheduler only.
await runMain({ web: false, worker: true });
