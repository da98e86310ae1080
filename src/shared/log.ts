import pino, { type Logger } from 'pino';

let root: Logger | undefined;

/** The one structured logger (JSON lines on stderr), with a child per component; level from RUNDOCK_LOG_LEVEL. */
export function logger(component: string): Logger {
  root ??= pino(
    {
      base: { pid: process.pid },
      level: process.env.RUNDOCK_LOG_LEVEL ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination(2),
  );
  return root.child({ component });
}
