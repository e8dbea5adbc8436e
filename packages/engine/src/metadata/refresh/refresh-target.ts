/** A library entry as the metadata refresh sees it, and what a refresh may do to it. */

export const METADATA_TASK_KINDS = ['metadata', 'preview', 'full', 'update-check'] as const;
export type MetadataTaskKind = (typeof METADATA_TASK_KINDS)[number];

/** Where the entry came from, as the library records it (structurally its `LibrarySource`). */
export type MetadataTargetSource =
  | { kind: 'huggingface'; repo: string; revision: string | null; path: string }
  | { kind: 'civitai'; modelId: number | null; versionId: number | null }
  | { kind: 'url' }
  | { kind: 'disk' }
  | null;

export interface MetadataTarget {
  /** Library entry id. */
  id: string;
  relativePath: string;
  sizeBytes: number;
  sha256: string | null;
  source: MetadataTargetSource;
}

const TYPE_OF_FOLDER: Record<string, string> = {
  checkpoints: 'Checkpoint',
  loras: 'LORA',
  vae: 'VAE',
  embeddings: 'TextualInversion',
  controlnet: 'Controlnet',
  upscale_models: 'Upscaler',
  text_encoders: 'TextEncoder',
  clip: 'TextEncoder',
  diffusion_models: 'DiffusionModel',
  unet: 'DiffusionModel',
  clip_vision: 'CLIPVision',
  hypernetworks: 'Hypernetwork',
};

/** The type a ComfyUI folder implies, used only when no source says. */
export function typeOfFolder(relativePath: string): string | null {
  return TYPE_OF_FOLDER[relativePath.split('/')[0]?.toLowerCase() ?? ''] ?? null;
}
