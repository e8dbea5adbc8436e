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

export async function runShutdownSteps(
  steps: readonly ShutdownStep[],
  logger: pino.Logger,
): Promise<boolean> {
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
 * The returned `stopAndExit` runs the same stop for other reasons (an unexpected error: exit 1).
 */
export function exitGracefullyOnSignals({
  close,
  logger,
  timeoutMs,
  exit = process.exit,
}: SignalHandlingOptions) {
  let stopping = false;

  const stopAndExit = (exitCode: number, why: Record<string, unknown>) => {
    if (stopping) {
      logger.warn(why, 'Asked again while stopping: exiting now');
      exit(exitCode === 0 ? 130 : exitCode);
      return;
    }
    stopping = true;
    logger.info(why, 'Stopping: finishing writes and recording progress');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'Graceful stop took too long: exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        exit(exitCode);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error({ err: error }, 'Graceful stop failed');
        exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals) => stopAndExit(0, { signal });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    stopAndExit,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
