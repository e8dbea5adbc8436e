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
import type { RequestedRange, ResumePlan } from './resume-plan';
import { planSegments, shouldSegment } from './segment-plan';
import { runSegments } from './segmented-transfer';
import { streamToEnd } from './single-stream';
import type { TransferSession } from './transfer-session';

export type AttemptOutcome =
  | { kind: 'downloaded' }
  /** The server confirmed (416) that the local bytes already make the whole file. */
  | { kind: 'already-complete'; total: number };

function requestFor(plan: ResumePlan): RequestedRange {
  if (plan.kind === 'fresh') return { ranged: false, start: 0, end: null };
  if (plan.kind === 'range') return { ranged: true, start: plan.from, end: null };
  const next = plan.segments.find((segment) => segment.done < segment.end - segment.start)!;
  return { ranged: true, start: next.start + next.done, end: next.end };
}

async function firstChunk(remote: RemoteBody): Promise<Uint8Array> {
  try {
    for await (const chunk of remote.body) return chunk;
  } catch {
    // The sample only refines a message; an unreadable body leaves it generic.
  }
  return new Uint8Array(0);
}

export async function runAttempt(session: TransferSession, signal: AbortSignal): Promise<AttemptOutcome> {
  const { context, file, ledger } = session;
  await session.openPartial();
  const plan = planResume(ledger.durableProgress(), await session.tempSize(), session.rangesUsable);
  if (plan.kind === 'segments') ledger.useSegments(plan.segments);
  else if (plan.kind === 'range') ledger.useSingle(plan.from);
  if (plan.kind === 'fresh' && ledger.durableBytes() > 0) {
    context.logger.info({ fileId: file.id, reason: plan.reason }, 'restarting the file from byte 0');
  }

  const requested = requestFor(plan);
  const ifRange = plan.kind === 'fresh' ? null : plan.ifRange;
  const remote = await openRemote(session, requested, ifRange, signal);
  let handedOver = false;
  try {
    const { status, headers } = remote.response;
    const encoding = contentEncodingOf(headers);
    const hadBytes = plan.kind !== 'fresh';
    const decision = decideResponse({
      status,
      headers,
      requested,
      known: hadBytes || ledger.validator ? { validator: ledger.validator, bytesTotal: ledger.bytesTotal } : null,
      pinned: session.pinned,
      encoded: encoding !== 'identity',
    });
    if (decision.kind === 'reject') throw decision.error;
    if (decision.kind === 'complete') return { kind: 'already-complete', total: decision.total };

    const notAModel = unexpectedContentTypeError(headers['content-type'], file.name, new Uint8Array(0));
    if (notAModel) {
      throw unexpectedContentTypeError(headers['content-type'], file.name, await firstChunk(remote)) ?? notAModel;
    }
    if (encoding !== 'identity' && decision.from !== 0) {
      session.rangesUsable = false;
      throw new ModeldockError('BAD_CONTENT_RANGE', 'The server compressed a resumed body; downloading the file again', {
        retryable: true,
        details: { discardPartial: true, rangesUnusable: true },
      });
    }
    if (decision.note) context.logger.info({ fileId: file.id, url: describeUrl(remote.finalUrl) }, decision.note);

    if (decision.discardPartial || plan.kind === 'fresh') {
      await session.discardPartial(decision.validator, decision.total);
    } else {
      ledger.validator = decision.validator;
      if (decision.total !== null) ledger.bytesTotal = decision.total;
      if (!ledger.isSegmented) await session.partial.truncate(decision.from);
    }
    await session.ensureHasher();
    ledger.resumable = encoding === 'identity';
    if (ledger.bytesTotal !== null) {
      await assertFreeSpace(context.fs, session.directory, ledger.bytesTotal - ledger.durableBytes());
    }

    const acceptsRanges = status === 206 || /\bbytes\b/i.test(headers['accept-ranges'] ?? '');
    const etag = ledger.validator?.etag ?? null;
    const segmentable =
      session.rangesUsable &&
      etag !== null &&
      shouldSegment(context.config, {
        total: ledger.bytesTotal,
        acceptsRanges,
        strongEtag: true,
        identityEncoding: encoding === 'identity',
      });

    if (ledger.isSegmented || (segmentable && !ledger.isSegmented)) {
      if (!ledger.isSegmented) ledger.useSegments(planSegments(decision.from, ledger.bytesTotal!, context.config));
      const segment = ledger.segments!.find((candidate) => candidate.start + candidate.written === decision.from);
      if (!segment || etag === null) throw new Error('The first response does not start a segment');
      handedOver = true;
      await runSegments(session, { segment, remote, bodyEnd: decision.bodyEnd ?? segment.end }, etag, signal);
    } else {
      handedOver = true;
      await streamToEnd(session, remote, decision.from, decision.bodyEnd, encoding, signal);
    }
    return { kind: 'downloaded' };
  } finally {
    if (!handedOver) remote.close();
  }
}
