/**
 * The server's two pino loggers. `server` writes JSON lines to stdout. `engine` (handed to the
 * download engine as its Logger port) writes to stdout too and, at info level and above, to the
 * downloads log, so every job transition and error lands in `<dataDir>/logs/downloads.log`.
 * Both redact: structured fields through `redactLogFields`, and the finished line once more through
 * `redactSecrets` so a secret inside a message string cannot slip out either.
 */
import pino from 'pino';
import type { DestinationStream, Level, LoggerOptions, StreamEntry } from 'pino';
import { redactSecrets } from '@modeldock/engine';
import type { Logger as EngineLogger } from '@modeldock/engine';
import type { LogLevel } from '../env';
import { redactLogFields } from './redact-log-fields';
import { prepareDownloadsLog } from './downloads-log-file';

export interface ServerLoggers {
  server: pino.Logger;
  engine: EngineLogger;
  downloadsLogFile: string;
  /** Writes out anything buffered; called on shutdown. */
  flush(): void;
}

export interface LoggerSettings {
  level: LogLevel;
  dataDir: string;
  /** Where the console lines go; stdout unless a test captures them. */
  console?: DestinationStream;
}

function baseOptions(): LoggerOptions {
  return {
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (fields) => redactLogFields(fields),
    },
    // Errors are already described (and redacted) by redactLogFields; pino's own serializer would rename them.
    serializers: { err: (value: unknown) => value },
    redact: {
      paths: [
        'headers.authorization',
        'headers.cookie',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
    hooks: { streamWrite: (line) => redactSecrets(line) },
  };
}

export function createLoggers({ level, dataDir, console }: LoggerSettings): ServerLoggers {
  const consoleStream = console ?? pino.destination({ dest: 1, sync: true });
  const downloadsLogFile = prepareDownloadsLog(dataDir);
  // Synchronous: the downloads log is a record, and a line lost to a crash is the line that mattered.
  const fileStream = pino.destination({
    dest: downloadsLogFile,
    sync: true,
    append: true,
    mkdir: true,
  });

  const server = pino({ ...baseOptions(), level, name: 'modeldock' }, consoleStream);

  const engineStreams: StreamEntry<Level>[] = [{ level: 'info', stream: fileStream }];
  if (level !== 'silent') engineStreams.push({ level: level as Level, stream: consoleStream });
  const engineLevel =
    level === 'silent' || pino.levels.values[level]! > pino.levels.values.info! ? 'info' : level;
  const engine = pino(
    { ...baseOptions(), level: engineLevel, name: 'modeldock-engine' },
    pino.multistream(engineStreams),
  );

  return {
    server,
    engine,
    downloadsLogFile,
    flush() {
      for (const stream of [consoleStream, fileStream]) {
        const flushable = stream as { flushSync?: () => void };
        try {
          flushable.flushSync?.();
        } catch {
          // A synchronous destination has nothing buffered; SonicBoom throws when it is not ready.
        }
      }
    },
  };
}
