import { runService } from '@shop/service-kit';
import { startServer } from './server.ts';

// What PM2 runs.
await runService('search', () => startServer());
