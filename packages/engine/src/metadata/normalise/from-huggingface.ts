/** Hugging Face model info as a metadata contribution. */
import type { HfModelInfo } from '../hubs/hf-model-info';
import type { MetadataContribution } from '../metadata-model';

/** Pipeline tags that say what kind of model a repository holds, in Civitai's words where one fits. */
const TYPE_OF_PIPELINE: Record<string, string> = {
  'text-to-image': 'Checkpoint',
  'image-to-image': 'Checkpoint',
  'text-to-video': 'Checkpoint',
  'image-to-video': 'Checkpoint',
  'text-generation': 'LLM',
  'image-text-to-text': 'LLM',
  'feature-extraction': 'TextEncoder',
};

export function fromHuggingFace(info: HfModelInfo, path: string | null): MetadataContribution {
  const repoName = info.repoId.split('/')[1] ?? info.repoId;
  const isLora = info.tags.some((tag) => tag.toLowerCase() === 'lora') || /lora/i.test(path ?? '');
  return {
    source: 'huggingface',
    fields: {
      name: repoName,
      versionName: info.sha ? info.sha.slice(0, 7) : null,
      type: isLora ? 'LORA' : info.pipelineTag ? (TYPE_OF_PIPELINE[info.pipelineTag] ?? info.pipelineTag) : null,
      baseModel: info.baseModel,
      tags: info.tags.filter((tag) => !tag.includes(':')),
      creator: info.author,
      sourceUrl: info.pageUrl,
    },
  };
}
