/**
 * What a model file says about itself, for a model no hub knows: a safetensors `__metadata__`
 * (kohya `ss_*`, ModelSpec `modelspec.*`) or GGUF `general.*`, read with model-format/, and the kind
 * of model its tensor names or architecture show. Trigger-word candidates come from ModelSpec's
 * trigger phrase or the most frequent training tags.
 */
import { classifyGgufMetadata, classifySafetensorsHeader } from '../../model-format/classify-model';
import { openFileByteReader } from '../../model-format/byte-reader';
import { ggufString, readGgufMetadata } from '../../model-format/gguf-metadata';
import type { GgufMetadata } from '../../model-format/gguf-metadata';
import type { ModelClass } from '../../model-format/model-class';
import { readSafetensorsHeader } from '../../model-format/safetensors-header';
import type { SafetensorsHeader } from '../../model-format/safetensors-header';
import type { FileSystem } from '../../ports';
import { commaList, isObject, textOf } from '../json-fields';
import type { MetadataContribution, ModelMetadataFields } from '../metadata-model';
import { sanitiseDescription } from './sanitise-description';

/** Civitai's type words for the kinds model-format tells apart. */
const TYPE_OF_CLASS: Partial<Record<ModelClass, string>> = {
  checkpoint: 'Checkpoint',
  diffusion_model: 'Checkpoint',
  lora: 'LORA',
  embedding: 'TextualInversion',
  vae: 'VAE',
  controlnet: 'Controlnet',
  upscaler: 'Upscaler',
  text_encoder: 'TextEncoder',
  hypernetwork: 'Hypernetwork',
  motion_module: 'MotionModule',
};

/** kohya's ss_base_model_version and ModelSpec's architecture, in Civitai's base-model words. */
export function baseModelOfHeader(value: string | null): string | null {
  if (!value) return null;
  const name = value.toLowerCase();
  if (/flux/.test(name)) return /schnell/.test(name) ? 'Flux.1 S' : 'Flux.1 D';
  if (/sd3|stable-diffusion-3/.test(name)) return 'SD 3.5';
  if (/sdxl|stable-diffusion-xl/.test(name)) return 'SDXL 1.0';
  if (/sd_v2|stable-diffusion-v2|sd2/.test(name)) return 'SD 2.1';
  if (/sd_v1|stable-diffusion-v1|sd1/.test(name)) return 'SD 1.5';
  return null;
}

/** The most frequent tags of kohya's `ss_tag_frequency` ({dataset: {tag: count}}), at most five. */
export function topTrainingTags(frequencyJson: string | undefined, limit = 5): string[] {
  if (!frequencyJson || frequencyJson.length > 4 * 1024 * 1024) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(frequencyJson);
  } catch {
    return [];
  }
  if (!isObject(parsed)) return [];
  const counts = new Map<string, number>();
  for (const dataset of Object.values(parsed)) {
    if (!isObject(dataset)) continue;
    for (const [tag, count] of Object.entries(dataset)) {
      const clean = tag.trim();
      if (clean && typeof count === 'number') counts.set(clean, (counts.get(clean) ?? 0) + count);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([tag]) => tag);
}

export function fromSafetensorsHeader(header: SafetensorsHeader): MetadataContribution {
  const meta = header.metadata;
  const kind = classifySafetensorsHeader(header).modelClass;
  const trigger = commaList(meta['modelspec.trigger_phrase']);
  const fields: Partial<ModelMetadataFields> = {
    name: textOf(meta['modelspec.title'], 500) ?? textOf(meta.ss_output_name, 500),
    type: kind ? (TYPE_OF_CLASS[kind] ?? null) : null,
    baseModel: baseModelOfHeader(meta.ss_base_model_version ?? meta['modelspec.architecture'] ?? null),
    description: sanitiseDescription(textOf(meta['modelspec.description'])),
    creator: textOf(meta['modelspec.author'], 200),
  };
  const words = trigger.length > 0 ? trigger : topTrainingTags(meta.ss_tag_frequency);
  if (words.length > 0) fields.trainedWords = words;
  return { source: 'header', fields };
}

export function fromGgufMetadata(gguf: GgufMetadata): MetadataContribution {
  const kind = classifyGgufMetadata(gguf).modelClass;
  const architecture = ggufString(gguf, 'general.architecture');
  const tags = gguf.metadata['general.tags'];
  const fields: Partial<ModelMetadataFields> = {
    name: ggufString(gguf, 'general.name') ?? ggufString(gguf, 'general.basename'),
    type: kind ? (TYPE_OF_CLASS[kind] ?? null) : architecture ? 'LLM' : null,
    baseModel: baseModelOfHeader(architecture) ?? ggufString(gguf, 'general.basename') ?? architecture,
    creator: ggufString(gguf, 'general.organization') ?? ggufString(gguf, 'general.author'),
    versionName: ggufString(gguf, 'general.version'),
  };
  if (Array.isArray(tags)) fields.tags = tags.filter((tag): tag is string => typeof tag === 'string').slice(0, 50);
  return { source: 'header', fields };
}

/** Reads a local model's header; null for other formats or a header that cannot be read. */
export async function headerContribution(fs: FileSystem, absolutePath: string, sizeBytes: number): Promise<MetadataContribution | null> {
  const lower = absolutePath.toLowerCase();
  const isSafetensors = lower.endsWith('.safetensors') || lower.endsWith('.sft');
  if (!isSafetensors && !lower.endsWith('.gguf')) return null;
  let reader: Awaited<ReturnType<typeof openFileByteReader>>;
  try {
    reader = await openFileByteReader(fs, absolutePath);
  } catch {
    return null;
  }
  try {
    if (isSafetensors) return fromSafetensorsHeader(await readSafetensorsHeader(reader.read, { fileSize: sizeBytes, maxHeaderBytes: 16 * 1024 * 1024 }));
    return fromGgufMetadata(await readGgufMetadata(reader.read, { maxArrayItems: 50, maxBytes: 16 * 1024 * 1024 }));
  } catch {
    // A header that cannot be read says nothing; the file is still described by its name.
    return null;
  } finally {
    await reader.close();
  }
}
