/** A Civitai version (and its model, when fetched) as a metadata contribution. */
import type { CivitaiModelRecord, CivitaiVersionRecord } from '../hubs/civitai-records';
import type { MetadataContribution, ModelMetadataFields } from '../metadata-model';
import { sanitiseDescription } from './sanitise-description';

export function civitaiModelPageUrl(endpoint: string, modelId: number, versionId: number | null): string {
  return `${endpoint}/models/${modelId}${versionId !== null ? `?modelVersionId=${versionId}` : ''}`;
}

/** The most restrictive level shown by Civitai for a version: its own, else the model's nsfw flag. */
function nsfwLevelOf(version: CivitaiVersionRecord | null, model: CivitaiModelRecord | null): number | null {
  if (version?.nsfwLevel != null) return version.nsfwLevel;
  if (model?.nsfwLevel != null) return model.nsfwLevel;
  const nsfw = model?.nsfw ?? version?.model?.nsfw ?? null;
  return nsfw === null ? null : nsfw ? 4 : 1;
}

export function fromCivitai(endpoint: string, version: CivitaiVersionRecord | null, model: CivitaiModelRecord | null): MetadataContribution {
  const modelId = model?.id ?? version?.modelId ?? null;
  const fields: Partial<ModelMetadataFields> = {
    name: model?.name ?? version?.model?.name ?? null,
    versionName: version?.name ?? null,
    type: model?.type ?? version?.model?.type ?? null,
    baseModel: version?.baseModel ?? null,
    description: sanitiseDescription(model?.description ?? version?.description ?? null),
    creator: model?.creator ?? null,
    nsfwLevel: nsfwLevelOf(version, model),
    sourceUrl: modelId !== null ? civitaiModelPageUrl(endpoint, modelId, version?.id ?? null) : null,
  };
  // Civitai's word lists are authoritative even when empty (a checkpoint has no trigger words).
  if (version) fields.trainedWords = version.trainedWords;
  if (model) fields.tags = model.tags;
  return { source: 'civitai', fields };
}

export const NOT_ON_CIVITAI = 'not found on Civitai by its SHA-256';
