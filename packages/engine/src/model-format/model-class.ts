/** The kinds of model file modeldock tells apart; placement/folder-table.ts maps each to its folder. */
export const MODEL_CLASSES = [
  'checkpoint',
  'diffusion_model',
  'vae',
  'vae_approx',
  'text_encoder',
  'lora',
  'embedding',
  'controlnet',
  'upscaler',
  'clip_vision',
  'style_model',
  'ipadapter',
  'detector_bbox',
  'detector_segm',
  'audio_encoder',
  'hypernetwork',
  'motion_module',
  'sam',
] as const;

export type ModelClass = (typeof MODEL_CLASSES)[number];

/** How sure a classification is: from the file's bytes, its source's own word, or only its name. */
export type ClassificationBasis = 'header' | 'source' | 'path' | 'name';

export interface ModelClassification {
  /** Null when nothing tells what the file is. */
  modelClass: ModelClass | null;
  basis: ClassificationBasis | null;
  /** One line a person can check, e.g. "tensor names double_blocks.*: a Flux diffusion model". */
  evidence: string;
}

export const UNKNOWN_CLASS: ModelClassification = {
  modelClass: null,
  basis: null,
  evidence: 'nothing in its name or source tells what it is',
};
