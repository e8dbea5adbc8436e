/**
 * Refreshes metadata, previews and update status for library entries, in batches of 100 so Civitai
 * is asked once per batch (one POST by SHA-256, one model listing), Hugging Face once per repository.
 * Per entry: sidecars beside the model are read first (no request for what they already say), then
 * the hubs, then everything is merged by exactness, sidecars are written (when on), the preview is
 * recovered and the update status decided. A failure is an item error with a code; the batch goes on.
 */
import path from 'node:path';
import { toModeldockError } from '../../errors';
import { absoluteDestination } from '../../paths/confine-path';
import type { Clock, FileSystem, HttpClient, Logger } from '../../ports';
import type { PacerWait } from '../hubs/platform-pacer';
import type { MetadataHubs } from '../hubs/metadata-hubs';
import { readCivitaiVersion } from '../hubs/civitai-records';
import type { CivitaiModelRecord, CivitaiVersionRecord } from '../hubs/civitai-records';
import type { HfModelInfo } from '../hubs/hf-model-info';
import type { MetadataContribution } from '../metadata-model';
import { fromCivitai, NOT_ON_CIVITAI } from '../normalise/from-civitai';
import { fromHuggingFace } from '../normalise/from-huggingface';
import { headerContribution } from '../normalise/from-header';
import { mergeMetadata } from '../normalise/merge-metadata';
import { recoverPreview } from '../previews/recover-preview';
import type { ThumbnailMaker } from '../previews/thumbnail';
import { readSidecars } from '../sidecars/read-sidecars';
import type { SidecarReading } from '../sidecars/read-sidecars';
import { writeSidecars } from '../sidecars/write-sidecars';
import { stemOf } from '../sidecars/sidecar-paths';
import { civitaiUpdateStatus, huggingFaceUpdateStatus } from '../updates/update-status';
import { lookUpCivitaiBatch } from './civitai-batch';
import type { CivitaiBatchAnswer, CivitaiBatchEntry } from './civitai-batch';
import type { MetadataTarget, MetadataTaskKind } from './refresh-target';
import { typeOfFolder } from './refresh-target';
import type { ModelMetadataStore, StoredModelMetadata } from './stored-metadata';

export const REFRESH_BATCH_SIZE = 100;
/** Batches whose hub requests are under way while an earlier one is written to the store. */
const BATCHES_PREPARED_AHEAD = 3;

export interface MetadataSettings {
  /** Write `.civitai.info`, `.metadata.json` and `<stem>.preview.<ext>` beside models. */
  writeSidecars: boolean;
  /** Also write A1111's `<stem>.json`. */
  writeA1111: boolean;
  /** Highest Civitai nsfwLevel a preview may have (default 2: PG and PG-13). */
  maxNsfwLevel: number;
}

export interface MetadataRefreshContext {
  fs: FileSystem;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  hubs: MetadataHubs;
  store: ModelMetadataStore;
  modelsRoot: string;
  thumbnailsDir: string;
  maxRedirects: number;
  settings: () => Promise<MetadataSettings>;
  makeThumbnail?: ThumbnailMaker;
}

export interface RefreshItemError {
  target: string;
  code: string;
  message: string;
}

export interface MetadataRefreshOptions {
  kind: MetadataTaskKind;
  /** Ask Civitai again about files it said it does not know (a user's explicit refresh). */
  recheckNotFound?: boolean;
  /**
   * No network at all: what sidecars beside the models and the files' own headers say, and previews
   * already beside them (a library found on disk shows what other tools wrote, without a request).
   * Nothing is written beside the models.
   */
  offline?: boolean;
  signal?: AbortSignal;
  onItemDone?: (target: MetadataTarget) => void;
  onItemError?: (error: RefreshItemError) => void;
  onWait?: (wait: PacerWait) => void;
}

interface Working {
  target: MetadataTarget;
  stored: StoredModelMetadata | null;
  sidecars: SidecarReading | null;
}

function storedVersion(stored: StoredModelMetadata | null): CivitaiVersionRecord | null {
  return stored?.raw.civitaiVersion ? readCivitaiVersion(stored.raw.civitaiVersion) : null;
}

function isHuggingFace(target: MetadataTarget): target is MetadataTarget & { source: { kind: 'huggingface'; repo: string; revision: string | null; path: string } } {
  return target.source?.kind === 'huggingface';
}

/** Local work on this many entries at once (reading sidecars and headers, writing sidecars). */
const LOCAL_CONCURRENCY = 16;

async function eachWithConcurrency<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

export async function refreshMetadata(ctx: MetadataRefreshContext, targets: MetadataTarget[], options: MetadataRefreshOptions): Promise<void> {
  const settings = await ctx.settings();
  const batches: MetadataTarget[][] = [];
  for (let start = 0; start < targets.length; start += REFRESH_BATCH_SIZE) batches.push(targets.slice(start, start + REFRESH_BATCH_SIZE));
  // The next batches' lookups wait for the hub's rate limit while this batch's entries are written:
  // a few are prepared ahead, so a slow store write never leaves the rate limit's slots unused.
  const ahead: Array<Promise<PreparedBatch>> = [];
  let scheduled = 0;
  const prepareAhead = () => {
    while (scheduled < batches.length && ahead.length < BATCHES_PREPARED_AHEAD) {
      const prepared = prepareBatch(ctx, batches[scheduled++]!, options);
      // A failure of a prefetched batch is seen when it is awaited; never unhandled meanwhile.
      prepared.catch(() => undefined);
      ahead.push(prepared);
    }
  };
  prepareAhead();
  while (ahead.length > 0) {
    const prepared = await ahead.shift()!;
    prepareAhead();
    if (options.signal?.aborted) throw options.signal.reason;
    await finishBatch(ctx, settings, prepared, options);
  }
}

interface PreparedBatch {
  working: Working[];
  civitai: Map<string, CivitaiBatchAnswer>;
  hfInfos: Map<string, HfModelInfo | null | Error>;
}

async function prepareBatch(ctx: MetadataRefreshContext, batch: MetadataTarget[], options: MetadataRefreshOptions): Promise<PreparedBatch> {
  const describes = options.kind === 'metadata' || options.kind === 'full';
  const call = { signal: options.signal, onWait: options.onWait };
  const storedRows = await ctx.store.get(batch.map((target) => target.id));
  const working: Working[] = batch.map((target) => {
    const stored = storedRows.get(target.id) ?? null;
    // A file whose bytes changed is another file: Civitai's old "not found" no longer holds.
    return { target, stored: stored && stored.sha256 !== target.sha256 ? { ...stored, civitaiNotFoundAt: null } : stored, sidecars: null };
  });
  // One listing per folder instead of a dozen look-ups per model for sidecars that are not there.
  const folders = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  const namesIn = (relativePath: string) => {
    const folder = path.posix.dirname(relativePath);
    if (!folders.has(folder)) {
      folders.set(folder, ctx.fs.readdir(absoluteDestination(ctx.modelsRoot, folder === '.' ? '' : folder)).then((names) => new Set(names), () => undefined));
    }
    return folders.get(folder)!;
  };
  await eachWithConcurrency(working, LOCAL_CONCURRENCY, async (item) => {
    const folderNames = await namesIn(item.target.relativePath);
    item.sidecars = await readSidecars({ fs: ctx.fs, modelsRoot: ctx.modelsRoot, relativePath: item.target.relativePath, civitaiEndpoint: ctx.hubs.civitaiEndpoint, folderNames });
    for (const error of item.sidecars.errors) options.onItemError?.(error);
  });

  // Civitai: every entry not from Hugging Face.
  const civitaiEntries: CivitaiBatchEntry[] = working
    .filter((item) => !isHuggingFace(item.target))
    .map((item) => {
      const source = item.target.source?.kind === 'civitai' ? item.target.source : null;
      const inHand = item.sidecars?.civitaiVersion ?? (describes ? null : storedVersion(item.stored));
      return {
        target: item.target,
        knownVersionId: source?.versionId ?? item.stored?.civitai?.versionId ?? null,
        versionInHand: inHand,
        askByHash: options.recheckNotFound === true || !item.stored?.civitaiNotFoundAt,
      };
    });
  if (options.offline) return { working, civitai: new Map(), hfInfos: new Map() };
  const civitai = await lookUpCivitaiBatch(ctx.hubs.civitai, civitaiEntries, call, true);
  if (ctx.hubs.civitai.keyRefused) {
    options.onItemError?.({ target: 'civitai', code: 'INVALID_TOKEN', message: 'Civitai refused your API key; public metadata was read without it. Add a valid key in Settings to see models only signed-in users see.' });
  }

  // Hugging Face: one model info per repository.
  const hfInfos = new Map<string, HfModelInfo | null | Error>();
  for (const item of working) {
    if (!isHuggingFace(item.target) || hfInfos.has(item.target.source.repo)) continue;
    try {
      hfInfos.set(item.target.source.repo, await ctx.hubs.huggingFace.modelInfo(item.target.source.repo, 'main', call));
    } catch (error) {
      if (options.signal?.aborted) throw error;
      hfInfos.set(item.target.source.repo, toModeldockError(error));
    }
  }
  return { working, civitai, hfInfos };
}

async function finishBatch(ctx: MetadataRefreshContext, settings: MetadataSettings, prepared: PreparedBatch, options: MetadataRefreshOptions): Promise<void> {
  const describes = options.kind === 'metadata' || options.kind === 'full';
  const previews = options.kind === 'preview' || options.kind === 'full';
  const records: StoredModelMetadata[] = [];
  await eachWithConcurrency(prepared.working, LOCAL_CONCURRENCY, async (item) => {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      const now = new Date(ctx.clock.now());
      records.push(await refreshOne(ctx, settings, item, prepared.civitai.get(item.target.id) ?? null, prepared.hfInfos, { describes, previews, now, options }));
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const failure = toModeldockError(error);
      options.onItemError?.({ target: item.target.relativePath, code: failure.code, message: failure.message });
    }
    options.onItemDone?.(item.target);
  });
  await ctx.store.put(records);
}

interface OneOptions {
  describes: boolean;
  previews: boolean;
  now: Date;
  options: MetadataRefreshOptions;
}

async function refreshOne(
  ctx: MetadataRefreshContext,
  settings: MetadataSettings,
  item: Working,
  answer: CivitaiBatchAnswer | null,
  hfInfos: Map<string, HfModelInfo | null | Error>,
  one: OneOptions,
): Promise<StoredModelMetadata> {
  const { target } = item;
  const record: StoredModelMetadata = item.stored ?? {
    entryId: target.id,
    sha256: target.sha256,
    metadata: null,
    civitai: null,
    huggingFace: null,
    raw: {},
    preview: null,
    update: null,
    civitaiNotFoundAt: null,
    sidecars: [],
    updatedAt: one.now.toISOString(),
  };
  record.sha256 = target.sha256;
  record.updatedAt = one.now.toISOString();
  record.sidecars = item.sidecars?.present ?? record.sidecars;
  const report = (code: string, message: string) => one.options.onItemError?.({ target: target.relativePath, code, message });

  const contributions: MetadataContribution[] = [...(item.sidecars?.contributions ?? [])];
  let version: CivitaiVersionRecord | null = null;
  let model: CivitaiModelRecord | null = null;
  if (answer?.error) report(answer.error.code, answer.error.message);
  if (answer && !answer.error) {
    version = answer.version;
    model = answer.model;
    if (answer.notFound) {
      record.civitaiNotFoundAt = one.now.toISOString();
      if (!isHuggingFace(target)) contributions.push({ source: 'civitai', fields: {}, note: NOT_ON_CIVITAI });
    }
  } else if (!answer && item.stored?.civitaiNotFoundAt && !isHuggingFace(target)) {
    contributions.push({ source: 'civitai', fields: {}, note: NOT_ON_CIVITAI });
  }
  if (version) {
    contributions.push(fromCivitai(ctx.hubs.civitaiEndpoint, version, model));
    record.civitai = {
      modelId: version.modelId ?? model?.id ?? 0,
      versionId: version.id,
      fileId: version.files.find((file) => file.sha256 === target.sha256)?.id ?? null,
      mode: model?.mode ?? version.model?.mode ?? null,
    };
    record.civitaiNotFoundAt = null;
    record.raw.civitaiVersion = version.raw;
    if (model) {
      record.raw.civitaiModel = model.raw;
      record.update = civitaiUpdateStatus(version.id, model, one.now);
    }
  }

  if (isHuggingFace(target) && !one.options.offline) {
    const info = hfInfos.get(target.source.repo);
    if (info instanceof Error) report((info as { code?: string }).code ?? 'HTTP_ERROR', info.message);
    else {
      if (info) {
        contributions.push(fromHuggingFace(info, target.source.path));
        record.raw.huggingFace = info.raw;
      }
      record.huggingFace = { repoId: target.source.repo, commit: target.source.revision, path: target.source.path, etag: target.sha256 };
      record.update = huggingFaceUpdateStatus({ commit: target.source.revision, path: target.source.path, contentId: target.sha256 }, info ?? null, 'main', one.now);
    }
  }

  if (one.describes) {
    const header = await headerContribution(ctx.fs, absoluteDestination(ctx.modelsRoot, target.relativePath), target.sizeBytes);
    if (header) contributions.push(header);
    const fallback = { name: stemOf(target.relativePath), type: typeOfFolder(target.relativePath) };
    record.metadata = mergeMetadata(contributions, one.now, fallback);
  }

  const absolute = absoluteDestination(ctx.modelsRoot, target.relativePath);
  if (one.previews) {
    const preview = await recoverPreview({
      fs: ctx.fs,
      http: ctx.http,
      maxRedirects: ctx.maxRedirects,
      modelsRoot: ctx.modelsRoot,
      thumbnailsDir: ctx.thumbnailsDir,
      thumbnailName: target.id,
      relativePath: target.relativePath,
      existingPreview: item.sidecars?.previewPath ?? null,
      images: one.options.offline ? [] : ((version ?? storedVersion(record))?.images ?? []),
      maxNsfwLevel: settings.maxNsfwLevel,
      writeBeside: settings.writeSidecars && !one.options.offline,
      name: record.metadata?.name ?? stemOf(target.relativePath),
      type: record.metadata?.type ?? typeOfFolder(target.relativePath),
      makeThumbnail: ctx.makeThumbnail,
      signal: one.options.signal,
    });
    if (preview.problem) report(preview.problem.code, preview.problem.message);
    record.preview = { kind: preview.kind, thumbnail: preview.thumbnail, besideModel: preview.besideModel, updatedAt: one.now.toISOString() };
    if (preview.besideModel && !record.sidecars.includes(preview.besideModel)) record.sidecars.push(preview.besideModel);
  }

  if (one.describes && settings.writeSidecars && !one.options.offline && record.metadata) {
    const stat = await ctx.fs.stat(absolute);
    if (stat?.isFile) {
      const written = await writeSidecars({
        fs: ctx.fs,
        modelsRoot: ctx.modelsRoot,
        relativePath: target.relativePath,
        sizeBytes: stat.size,
        mtimeMs: stat.mtimeMs,
        sha256: target.sha256,
        a1111: settings.writeA1111,
        content: {
          metadata: record.metadata,
          civitaiVersion: version ?? item.sidecars?.civitaiVersion ?? null,
          civitaiMode: record.civitai?.mode ?? null,
          previewPath: record.preview?.besideModel ? path.join(ctx.modelsRoot, ...record.preview.besideModel.split('/')) : null,
          previewNsfwLevel: null,
          now: one.now,
        },
      });
      for (const error of written.errors) one.options.onItemError?.(error);
      for (const relative of written.written) if (!record.sidecars.includes(relative)) record.sidecars.push(relative);
    }
  }
  return record;
}
