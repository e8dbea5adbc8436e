/**
 * `transferFile`: one file's bytes to `<modelsRoot>/<relativePath>`, durably and verified, resuming
 * from what the job layer recorded. Owns the per-file retry loop: retryable failures wait with
 * backoff (reported through onStalled) and resume; consecutive failures without progress are
 * bounded by `maxAttempts`; a hash mismatch deletes the bytes and starts over once.
 */
import { isModeldockError, ModeldockError, toModeldockError } from '../errors';
import { retryDelayMs } from '../http/retry-policy';
import { stopError, childController } from './abort-signals';
import { runAttempt } from './download-attempt';
import { adoptOwnCompletedFile } from './existing-destination';
import type { FileTransferResult, TransferFile } from './file-transfer-api';
import { TransferSession } from './transfer-session';
import { verifyAndFinalize } from './verify-and-finalize';

interface ErrorDetails {
  discardPartial?: boolean;
  rangesUnusable?: boolean;
  /** A wrong answer to a range request (see TransferSession.noteRangeFault). */
  rangeFault?: boolean;
  neededBytes?: number | null;
  /** Under the minimum speed: a stall even though some bytes came. */
  tooSlow?: boolean;
}

function detailsOf(error: ModeldockError): ErrorDetails {
  return (error.details ?? {}) as ErrorDetails;
}

function gaveUp(error: ModeldockError, attempts: number): ModeldockError {
  return new ModeldockError(
    error.code,
    `${error.message} (gave up after ${attempts} attempts without progress)`,
    {
      cause: error.cause ?? error,
      ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
      details: error.details,
    },
  );
}

/** The reason an attempt's own signal ends with; made once, because an error's stack costs per file. */
const ATTEMPT_FINISHED = new ModeldockError('CANCELLED', 'Attempt finished');

async function runOnce(session: TransferSession): Promise<FileTransferResult> {
  const { controller, release } = childController(session.context.signal);
  try {
    const outcome = await runAttempt(session, controller.signal);
    const total =
      outcome.kind === 'already-complete'
        ? outcome.total
        : (session.ledger.bytesTotal ?? session.ledger.receivedBytes());
    return await verifyAndFinalize(session, total);
  } finally {
    release();
    if (!controller.signal.aborted) controller.abort(ATTEMPT_FINISHED);
  }
}

async function retryLoop(session: TransferSession): Promise<FileTransferResult> {
  const { context, callbacks } = session;
  const { signal, clock, config, logger } = context;
  let failuresWithoutProgress = 0;
  let restartedAfterHashMismatch = false;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw stopError(signal);
    const durableBefore = session.ledger.durableBytes();
    try {
      return await runOnce(session);
    } catch (thrown) {
      let error = toModeldockError(thrown);
      if (signal.aborted) {
        await session.flushDurable().catch(() => undefined);
        throw stopError(signal);
      }
      const details = detailsOf(error);
      if (details.rangesUnusable) session.rangesUsable = false;
      if (details.rangeFault && session.noteRangeFault()) {
        logger.warn(
          { fileId: session.file.id, code: error.code },
          'the server keeps answering range requests wrongly; downloading the whole file over one connection',
        );
      }
      if (error.code === 'DISK_FULL' && details.neededBytes === undefined)
        error = await session.diskFull(error.cause ?? error);

      if (error.code === 'HASH_MISMATCH') {
        await session.deletePartial();
        if (restartedAfterHashMismatch) throw error;
        restartedAfterHashMismatch = true;
        logger.warn(
          { fileId: session.file.id, code: error.code },
          'checksum mismatch; downloading the file again from zero',
        );
        continue;
      }
      if (details.discardPartial) {
        if (!error.retryable) {
          await session.deletePartial();
          throw error;
        }
        await session.discardPartial(null, null);
      } else {
        await session.flushDurable().catch((flushError: unknown) => {
          logger.warn(
            { fileId: session.file.id, error: toModeldockError(flushError).message },
            'could not record progress',
          );
        });
      }
      if (!error.retryable) throw error;

      // A trickle makes a little progress on every connection: it must not reset the count.
      const progressed = !details.tooSlow && session.ledger.durableBytes() > durableBefore;
      failuresWithoutProgress = progressed ? 1 : failuresWithoutProgress + 1;
      if (failuresWithoutProgress >= config.maxAttempts)
        throw gaveUp(error, failuresWithoutProgress);
      const delay = retryDelayMs(failuresWithoutProgress, error, config);
      logger.info(
        { fileId: session.file.id, code: error.code, attempt, delayMs: delay },
        error.message,
      );
      session.markStalled();
      callbacks.onStalled({
        reason: error.message,
        code: error.code,
        nextAttemptAt: new Date(clock.now() + delay).toISOString(),
        attempt: attempt + 1,
      });
      try {
        await clock.sleep(delay, signal);
      } catch {
        throw stopError(signal);
      }
    }
  }
}

export const transferFile: TransferFile = async (file, context, callbacks) => {
  if (context.signal.aborted) throw stopError(context.signal);
  const session = new TransferSession(file, context, callbacks);
  await session.prepareDirectory();
  const adopted = await adoptOwnCompletedFile(session);
  if (adopted) return adopted;
  await session.resolveAuthorization();
  try {
    return await retryLoop(session);
  } catch (error) {
    throw isModeldockError(error) ? error : toModeldockError(error);
  } finally {
    await session.close();
  }
};
