/**
 * One attempt at a file: plan the request from what is durable, ask, let resume-plan judge the
 * answer, then write the body over one connection or several. Returns once every byte is written
 * (not yet verified), or when a 416 says every byte was already there.
 */
import { ModeldockError } from '../errors';
import { describeUrl } from '../http/http-url';
import { unexpectedContentTypeError } from '../verify/format-check';
import { contentEncodingOf } from './content-decoding';
import { assertFreeSpace } from './disk-space';
import { openRemote } from './remote-request';
import type { RemoteBody } from './remote-request';
import { decideResponse, planResume } from './resume-plan';
import type { RequestedRange, ResponseDecision, ResumePlan } from './resume-plan';
import { firstSegmentEnd, planSegments, shouldSegment } from './segment-plan';
import { runSegments } from './segmented-transfer';
import { streamToEnd } from './single-stream';
import type { TransferSession } from './transfer-session';

export type AttemptOutcome =
  | { kind: 'downloaded' }
  /** The server confirmed (416) that the local bytes already make the whole file. */
  | { kind: 'already-complete'; total: number };

type WriteDecision = Extract<ResponseDecision, { kind: 'write' }>;

/** Marks a bounded first request that cannot continue as planned: ask again for the whole rest. */
const ASK_FOR_THE_REST = Symbol('ask-for-the-rest');

/**
 * What to ask for first. When the file is known to be large enough to be split, the first request
 * asks only for its own segment, so no connection streams bytes another one will fetch.
 */
function firstRequest(session: TransferSession, plan: ResumePlan): RequestedRange {
  if (plan.kind === 'segments') {
    const next = plan.segments.find((segment) => segment.done < segment.end - segment.start)!;
    return { ranged: true, start: next.start + next.done, end: next.end };
  }
  const from = plan.kind === 'range' ? plan.from : 0;
  const { config } = session.context;
  const total = session.ledger.bytesTotal;
  const mayBeSplit =
    session.rangesUsable &&
    config.connectionsPerFile > 1 &&
    total !== null &&
    total - from > config.segmentThresholdBytes;
  if (mayBeSplit) return { ranged: true, start: from, end: firstSegmentEnd(from, total, config) };
  return plan.kind === 'range'
    ? { ranged: true, start: from, end: null }
    : { ranged: false, start: 0, end: null };
}

async function firstChunk(remote: RemoteBody): Promise<Uint8Array> {
  try {
    for await (const chunk of remote.body) return chunk;
  } catch {
    // The sample only refines a message; an unreadable body leaves it generic.
  }
  return new Uint8Array(0);
}

export async function runAttempt(
  session: TransferSession,
  signal: AbortSignal,
): Promise<AttemptOutcome> {
  const { context, file, ledger } = session;
  const plan = planResume(ledger.durableProgress(), await session.tempSize(), session.rangesUsable);
  if (plan.kind === 'segments') ledger.useSegments(plan.segments);
  else if (plan.kind === 'range') ledger.useSingle(plan.from);
  if (plan.kind === 'fresh' && ledger.durableBytes() > 0) {
    context.logger.info(
      { fileId: file.id, reason: plan.reason },
      'restarting the file from byte 0',
    );
  }
  const ifRange = plan.kind === 'fresh' ? null : plan.ifRange;
  let requested = firstRequest(session, plan);
  for (;;) {
    const remote = await openRemote(session, requested, ifRange, signal);
    try {
      const outcome = await useResponse(session, plan, requested, remote, signal);
      if (outcome !== ASK_FOR_THE_REST) return outcome;
      requested = { ...requested, end: null, ranged: requested.start > 0 };
    } finally {
      remote.close();
    }
  }
}

async function useResponse(
  session: TransferSession,
  plan: ResumePlan,
  requested: RequestedRange,
  remote: RemoteBody,
  signal: AbortSignal,
): Promise<AttemptOutcome | typeof ASK_FOR_THE_REST> {
  const { context, file, ledger } = session;
  const { status, headers } = remote.response;
  const encoding = contentEncodingOf(headers);
  const decision = decideResponse({
    status,
    headers,
    requested,
    known:
      plan.kind !== 'fresh' || ledger.validator
        ? { validator: ledger.validator, bytesTotal: ledger.bytesTotal }
        : null,
    pinned: session.pinned,
    encoded: encoding !== 'identity',
  });
  if (decision.kind === 'reject') throw decision.error;
  if (decision.kind === 'complete') {
    await session.openPartial();
    return { kind: 'already-complete', total: decision.total };
  }

  const notAModel = unexpectedContentTypeError(
    headers['content-type'],
    file.name,
    new Uint8Array(0),
  );
  if (notAModel)
    throw (
      unexpectedContentTypeError(headers['content-type'], file.name, await firstChunk(remote)) ??
      notAModel
    );
  if (encoding !== 'identity' && decision.from !== 0) {
    throw new ModeldockError(
      'BAD_CONTENT_RANGE',
      'The server compressed a resumed body; downloading the file again',
      {
        retryable: true,
        details: { discardPartial: true, rangesUnusable: true },
      },
    );
  }

  const segmentable = isSegmentable(
    session,
    status,
    headers,
    decision,
    encoding === 'identity',
    requested,
  );
  const boundedProbe = !ledger.isSegmented && requested.end !== null;
  if (
    boundedProbe &&
    status === 206 &&
    !segmentable &&
    (decision.bodyEnd ?? 0) < (decision.total ?? Infinity)
  ) {
    return ASK_FOR_THE_REST;
  }
  if (decision.note)
    context.logger.info({ fileId: file.id, url: describeUrl(remote.finalUrl) }, decision.note);

  // Opened only now: a request that fails leaves no empty temp file behind.
  await session.openPartial();
  if (decision.discardPartial || plan.kind === 'fresh') {
    await session.discardPartial(decision.validator, decision.total);
  } else {
    ledger.validator = decision.validator;
    if (decision.total !== null) ledger.bytesTotal = decision.total;
    if (!ledger.isSegmented) await session.partial.truncate(decision.from);
  }
  ledger.resumable = encoding === 'identity';
  if (ledger.bytesTotal !== null) {
    await assertFreeSpace(
      context.fs,
      session.directory,
      ledger.bytesTotal - ledger.durableBytes(),
      context.config.diskReserveBytes,
    );
  }
  await session.ensureHasher();

  const etag = ledger.validator?.etag ?? null;
  if (etag !== null && (ledger.isSegmented || segmentable)) {
    if (!ledger.isSegmented) {
      // The first segment is what was asked for, even when the server sends more.
      const firstEnd =
        requested.end !== null && status === 206
          ? Math.min(requested.end, decision.bodyEnd ?? requested.end)
          : undefined;
      ledger.useSegments(planSegments(decision.from, ledger.bytesTotal!, context.config, firstEnd));
    }
    const segment = ledger.segments!.find(
      (candidate) => candidate.start + candidate.written === decision.from,
    );
    if (!segment)
      throw new ModeldockError('INTERNAL', 'The first response does not start a segment');
    await runSegments(
      session,
      { segment, remote, bodyEnd: decision.bodyEnd ?? segment.end },
      etag,
      signal,
    );
  } else {
    await streamToEnd(session, remote, decision.from, decision.bodyEnd, encoding, signal);
  }
  return { kind: 'downloaded' };
}

function isSegmentable(
  session: TransferSession,
  status: number,
  headers: Record<string, string>,
  decision: WriteDecision,
  identity: boolean,
  requested: RequestedRange,
): boolean {
  // A 200 to a ranged request means the server ignores ranges, whatever Accept-Ranges says.
  const acceptsRanges =
    status === 206 || (!requested.ranged && /\bbytes\b/i.test(headers['accept-ranges'] ?? ''));
  const total = decision.total;
  return (
    session.rangesUsable &&
    total !== null &&
    shouldSegment(session.context.config, {
      total: total - decision.from,
      acceptsRanges,
      strongEtag: decision.validator?.etag != null,
      identityEncoding: identity,
    })
  );
}
