/**
 * A large file over several connections. Each connection fetches one segment with a bounded Range
 * (+ If-Range on the strong ETag) and writes at the segment's offsets; when it runs out of work it
 * takes an idle segment or splits the largest remaining one, so all connections finish together.
 * Every segment's durable `done` is recorded, so after a crash each resumes where it stopped. One
 * connection failing stops the others; the retry loop then resumes every segment.
 */
import { setMaxListeners } from 'node:events';
import { ModeldockError } from '../errors';
import type { WriteWindow } from './body-pump';
import { pumpBody } from './body-pump';
import { bodyReadError, prematureEofError } from './body-errors';
import { childController } from './abort-signals';
import { contentEncodingOf } from './content-decoding';
import type { LiveSegment } from './progress-ledger';
import { openRemote } from './remote-request';
import type { RemoteBody } from './remote-request';
import { decideResponse, restartError, validatorOf } from './resume-plan';
import { PieceSizer } from './piece-sizer';
import { claimNextPiece, minSegmentBytes, splitLargestSegment } from './segment-plan';
import type { TransferSession } from './transfer-session';

/** Abort listeners one connection may hold on the shared signal at once, with room to spare. */
const LISTENERS_PER_CONNECTION = 4;

export interface OpenedSegment {
  segment: LiveSegment;
  remote: RemoteBody;
  /** Exclusive end of the bytes this response carries. */
  bodyEnd: number;
}

/** Segments cannot continue on this server: start over, and ask for whole files from now on. */
function rangesUnusable(message: string): ModeldockError {
  return new ModeldockError('BAD_CONTENT_RANGE', message, {
    retryable: true,
    details: { discardPartial: true, rangesUnusable: true },
  });
}

/** Opens a ranged request for the rest of `segment` and checks the answer is exactly those bytes. */
async function openSegment(
  session: TransferSession,
  segment: LiveSegment,
  ifRange: string,
  signal: AbortSignal,
): Promise<OpenedSegment> {
  const start = segment.start + segment.written;
  const requested = { ranged: true, start, end: segment.end };
  const remote = await openRemote(session, requested, ifRange, signal);
  try {
    const { status, headers } = remote.response;
    const ledger = session.ledger;
    const decision = decideResponse({
      status,
      headers,
      requested,
      known: { validator: ledger.validator, bytesTotal: ledger.bytesTotal },
      pinned: session.pinned,
      encoded: false,
    });
    if (decision.kind === 'reject') throw decision.error;
    if (decision.kind === 'complete' || status !== 206) {
      if (validatorOf(headers)?.etag !== ledger.validator?.etag) {
        throw restartError(
          'BAD_CONTENT_RANGE',
          'The remote file changed while its segments were downloading; restarting it',
        );
      }
      throw rangesUnusable(
        'The server stopped honouring range requests; downloading the file again over one connection',
      );
    }
    if (contentEncodingOf(headers) !== 'identity') {
      throw rangesUnusable(
        'The server compressed a range response; downloading the file again over one connection',
      );
    }
    return { segment, remote, bodyEnd: decision.bodyEnd ?? segment.end };
  } catch (error) {
    remote.close();
    throw error;
  }
}

/** Writes one response into its segment; returns when the segment is full or the response ended. */
async function drainIntoSegment(
  session: TransferSession,
  opened: OpenedSegment,
  signal: AbortSignal,
): Promise<void> {
  const { segment, remote, bodyEnd } = opened;
  const from = segment.start + segment.written;
  const window: WriteWindow = {
    position: from,
    limit: () => Math.min(segment.end, bodyEnd),
    reserve: (end) => {
      if (end > segment.cursor) segment.cursor = end;
    },
    written: (end) => {
      segment.written = end - segment.start;
      session.noteWritten();
    },
  };
  let outcome;
  try {
    outcome = await pumpBody(
      remote.body,
      session.partial,
      window,
      session.context.limiters,
      signal,
      () => session.context.clock.now(),
    );
  } catch (error) {
    throw bodyReadError(remote, error, window.position - from, bodyEnd - from);
  } finally {
    remote.close();
  }
  if (outcome === 'body-ended' && window.position < Math.min(segment.end, bodyEnd)) {
    throw prematureEofError(remote, window.position - from, Math.min(segment.end, bodyEnd) - from);
  }
}

export async function runSegments(
  session: TransferSession,
  first: OpenedSegment,
  ifRange: string,
  attemptSignal: AbortSignal,
): Promise<void> {
  const segments = session.ledger.segments;
  if (!segments) throw new Error('runSegments needs a segmented ledger');
  const { config, clock } = session.context;
  const minBytes = minSegmentBytes(config);
  const sizer = new PieceSizer(minBytes, minBytes);
  const { controller, release } = childController(attemptSignal);
  const signal = controller.signal;
  // Every connection listens on this signal (its request, its idle watchdog, a bandwidth wait):
  // with 16 connections Node's leak warning (at 10) would fire for listeners that are released.
  setMaxListeners(LISTENERS_PER_CONNECTION * config.connectionsPerFile, signal);

  const claim = (): LiveSegment | null => {
    session.ledger.mergeFinishedSegments();
    return (
      claimNextPiece(segments, sizer.pieceBytes(), config.connectionsPerFile, minBytes) ??
      splitLargestSegment(segments, sizer.minSplitBytes())
    );
  };

  const connection = async (initial: OpenedSegment | null): Promise<void> => {
    let pending = initial;
    let segment = initial ? initial.segment : claim();
    while (segment) {
      try {
        while (segment.start + segment.written < segment.end) {
          let opened = pending;
          pending = null;
          if (!opened) {
            const sentAt = clock.now();
            opened = await openSegment(session, segment, ifRange, signal);
            sizer.noteTimeToFirstByte(clock.now() - sentAt);
          }
          const bodyStartedAt = clock.now();
          const writtenBefore = segment.written;
          await drainIntoSegment(session, opened, signal);
          sizer.noteBody(segment.written - writtenBefore, clock.now() - bodyStartedAt);
        }
      } finally {
        segment.active = false;
      }
      segment = claim();
    }
  };

  const stopOthers = (error: unknown): never => {
    if (!signal.aborted) controller.abort(error);
    throw error;
  };

  first.segment.active = true;
  const connections = [connection(first).catch(stopOthers)];
  for (let index = 1; index < config.connectionsPerFile; index++) {
    connections.push(connection(null).catch(stopOthers));
  }
  const results = await Promise.allSettled(connections);
  release();
  if (attemptSignal.aborted) throw attemptSignal.reason;
  const failed = results.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  // The first failure is the abort reason the others stopped with.
  if (failed) throw signal.reason ?? failed.reason;
}
