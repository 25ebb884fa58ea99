import { runMain } from './process.js';

// npm start: gateway + workers + scheduler in one process, on embedded defaults.
await runMain({ web: true, worker: true });
