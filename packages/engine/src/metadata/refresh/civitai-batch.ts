/**
 * The Civitai half of a refresh batch: which entries to ask about, asked in as few requests as the
 * API allows (versions by SHA-256 in one POST per 100, versions known by id one by one, their models
 * in one listing per 100), and what each entry gets back.
 */
import type { CivitaiCallOptions, CivitaiMetadataClient } from '../hubs/civitai-metadata-client';
import type { CivitaiModelRecord, CivitaiVersionRecord } from '../hubs/civitai-records';
import type { MetadataTarget } from './refresh-target';

export interface CivitaiBatchEntry {
  target: MetadataTarget;
  /** A version id known without asking (the download, a sidecar, an earlier refresh). */
  knownVersionId: number | null;
  /** A version already in hand (a `.civitai.info` beside the model). */
  versionInHand: CivitaiVersionRecord | null;
  /** Ask by SHA-256 (false for a file Civitai said it does not know, unless asked again). */
  askByHash: boolean;
}

export interface CivitaiBatchAnswer {
  version: CivitaiVersionRecord | null;
  model: CivitaiModelRecord | null;
  /** Civitai answered "not found" for the SHA-256. */
  notFound: boolean;
  error: { code: string; message: string } | null;
}

export async function lookUpCivitaiBatch(
  client: CivitaiMetadataClient,
  entries: CivitaiBatchEntry[],
  call: CivitaiCallOptions,
  withModels: boolean,
): Promise<Map<string, CivitaiBatchAnswer>> {
  const answers = new Map<string, CivitaiBatchAnswer>();
  const fail = (id: string, error: unknown) =>
    answers.set(id, { version: null, model: null, notFound: false, error: { code: (error as { code?: string }).code ?? 'INTERNAL', message: (error as Error).message } });

  const byHash = entries.filter((entry) => entry.askByHash && !entry.versionInHand && entry.knownVersionId === null && entry.target.sha256);
  let found = new Map<string, CivitaiVersionRecord | null>();
  try {
    found = await client.versionsByHash(byHash.map((entry) => entry.target.sha256!), call);
  } catch (error) {
    if (call.signal?.aborted) throw error;
    for (const entry of byHash) fail(entry.target.id, error);
  }

  const versions = new Map<string, CivitaiVersionRecord | null>();
  for (const entry of entries) {
    if (answers.has(entry.target.id)) continue;
    if (entry.versionInHand) versions.set(entry.target.id, entry.versionInHand);
    else if (entry.knownVersionId !== null) {
      try {
        versions.set(entry.target.id, await client.version(entry.knownVersionId, call));
      } catch (error) {
        if (call.signal?.aborted) throw error;
        fail(entry.target.id, error);
      }
    } else if (entry.target.sha256 && found.has(entry.target.sha256.toLowerCase())) {
      versions.set(entry.target.id, found.get(entry.target.sha256.toLowerCase()) ?? null);
    }
  }

  let models = new Map<number, CivitaiModelRecord | null>();
  const modelIds = [...versions.values()].map((version) => version?.modelId).filter((id): id is number => typeof id === 'number');
  if (withModels && modelIds.length > 0) {
    try {
      models = await client.models(modelIds, call);
    } catch (error) {
      if (call.signal?.aborted) throw error;
      // The versions still describe their models; only description, tags and creator stay missing.
    }
  }

  for (const entry of entries) {
    if (answers.has(entry.target.id) || !versions.has(entry.target.id)) continue;
    const version = versions.get(entry.target.id) ?? null;
    const model = version?.modelId != null ? (models.get(version.modelId) ?? null) : null;
    answers.set(entry.target.id, { version, model, notFound: version === null, error: null });
  }
  return answers;
}
