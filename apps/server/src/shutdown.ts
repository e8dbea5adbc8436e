/**
 * Graceful stop, in the order that loses nothing: stop taking work, tell WebSocket clients to
 * reconnect, let the engine record each running job's durable offset and put it back in the queue
 * (it carries on after the restart), then close connections, the HTTP client and the database.
 * Each step runs even when an earlier one failed; a failure is logged, never swallowed silently.
 */
import type pino from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => void | Promise<void>;
}

export async function runShutdownSteps(steps: readonly ShutdownStep[], logger: pino.Logger): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      clean = false;
      logger.error({ err: error, step: step.name }, 'Shutdown step failed');
    }
  }
  return clean;
}

export interface SignalHandlingOptions {
  close: () => Promise<void>;
  logger: pino.Logger;
  /** Longest the graceful stop may take before the process exits anyway. */
  timeoutMs: number;
  /** Defaults to process.exit; a test can observe the exit code instead. */
  exit?: (code: number) => void;
}

/**
 * SIGTERM / SIGINT: one graceful stop, then exit 0 (or 1 if it failed or ran out of time).
 * A second signal while stopping exits at once: the operator has decided to wait no longer, and
 * durability never depended on the graceful path (a kill -9 resumes from the durable offset too).
 */
export function exitGracefullyOnSignals({ close, logger, timeoutMs, exit = process.exit }: SignalHandlingOptions): () => void {
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal while stopping: exiting now');
      exit(130);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'Stopping: finishing writes and recording progress');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'Graceful stop took too long: exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error({ err: error }, 'Graceful stop failed');
        exit(1);
      },
    );
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
