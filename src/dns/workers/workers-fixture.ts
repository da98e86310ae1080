/** A DNS worker for workers.test.ts: what `rundock dns --workers N` runs in each forked process, without the CLI. */
import pino from 'pino';
import { runDnsWorker } from './worker.js';

await runDnsWorker(pino({ level: process.env.RUNDOCK_TEST_WORKER_LOG ?? 'silent' }));
