/**
 * Merges what each source knows into one ModelMetadata, field by field from the most exact source
 * (download → Civitai → Hugging Face → sidecars → the file's header → its name and folder), and says
 * how complete the result is:
 * - `minimal`: the name, type or base model is unknown (or known only from the file name), or no
 *   hub knows the file (its header may still name it; the reason is in `missing`);
 * - `partial`: those are known, something else a hub would know is not;
 * - `complete`: nothing is missing.
 * `missing` names the fields, and the reason a source gave (e.g. "not found on Civitai by its SHA-256").
 */
import { EMPTY_FIELDS } from '../metadata-model';
import type { MetadataContribution, MetadataSourceKind, ModelMetadata, ModelMetadataFields } from '../metadata-model';

const EXACTNESS: Record<MetadataSourceKind | 'file', number> = {
  download: 0,
  civitai: 1,
  huggingface: 2,
  sidecar: 3,
  header: 4,
  file: 5,
};

const ESSENTIAL: (keyof ModelMetadataFields)[] = ['name', 'type', 'baseModel'];
/** Known by Civitai for every model; Hugging Face has no version names, descriptions or trigger words. */
const CIVITAI_KNOWS: (keyof ModelMetadataFields)[] = ['versionName', 'description', 'creator', 'tags', 'trainedWords', 'sourceUrl'];
const HUGGING_FACE_KNOWS: (keyof ModelMetadataFields)[] = ['creator', 'tags', 'sourceUrl'];

/** A fallback contribution from the file itself: its name and the type its folder implies. */
export interface FileFallback {
  name: string;
  type: string | null;
}

function isKnown(fields: Partial<ModelMetadataFields>, key: keyof ModelMetadataFields): boolean {
  if (!(key in fields)) return false;
  const value = fields[key];
  // A list given by a source is known even when empty (Civitai says a checkpoint has no trigger words).
  return Array.isArray(value) ? true : value !== null && value !== undefined;
}

export function mergeMetadata(contributions: MetadataContribution[], now: Date, fallback?: FileFallback): ModelMetadata {
  const ordered = [...contributions].sort((a, b) => EXACTNESS[a.source] - EXACTNESS[b.source]);
  const merged: ModelMetadataFields = { ...EMPTY_FIELDS, trainedWords: [], tags: [] };
  const known = new Set<keyof ModelMetadataFields>();
  for (const contribution of ordered) {
    for (const key of Object.keys(EMPTY_FIELDS) as (keyof ModelMetadataFields)[]) {
      if (known.has(key) || !isKnown(contribution.fields, key)) continue;
      const value = contribution.fields[key];
      // An empty list from a less exact source does not hide a fuller one further down.
      if (Array.isArray(value) && value.length === 0 && ordered.some((other) => other !== contribution && Array.isArray(other.fields[key]) && (other.fields[key] as string[]).length > 0)) continue;
      (merged as unknown as Record<string, unknown>)[key] = value;
      known.add(key);
    }
  }
  if (fallback) {
    if (merged.name === null) merged.name = fallback.name;
    if (merged.type === null) merged.type = fallback.type;
  }

  const sources = [...new Set(ordered.filter((c) => Object.keys(c.fields).length > 0).map((c) => c.source))];
  // What a Hugging Face file can have is less than what Civitai knows; anything else is measured against Civitai.
  const fromHuggingFaceOnly = sources.includes('huggingface') && !sources.includes('civitai') && !sources.includes('download');
  const expected = new Set<keyof ModelMetadataFields>([...ESSENTIAL, ...(fromHuggingFaceOnly ? HUGGING_FACE_KNOWS : CIVITAI_KNOWS)]);
  const missing: string[] = [...expected].filter((key) => !known.has(key));
  const essentialMissing = ESSENTIAL.some((key) => !known.has(key));
  const notes = ordered.map((c) => c.note).filter((note): note is string => typeof note === 'string');
  // A file no hub knows stays minimal whatever its own header or sidecars say: the reason is shown.
  const unknownToHubs = notes.length > 0 && !sources.some((source) => source === 'civitai' || source === 'huggingface' || source === 'download');

  return {
    ...merged,
    completeness: essentialMissing || unknownToHubs ? 'minimal' : missing.length > 0 ? 'partial' : 'complete',
    missing: [...missing, ...new Set(notes)],
    sources,
    updatedAt: now.toISOString(),
  };
}
