/**
 * Which ComfyUI `models/` folder a file belongs in, so a download lands where ComfyUI's loaders
 * look: from Civitai's model and file types, or guessed from a Hugging Face path and name. The
 * guess is shown in the preview; a `folder` the user chose always wins.
 */

import { normaliseFolder } from '../paths/confine-path';

/**
 * The folder the user chose, normalised, or null to let the source place the file. An empty folder
 * is no choice: the job layer hands resolvers '' when the request had none.
 */
export function chosenFolder(folder: string | undefined | null): string | null {
  const normalised = normaliseFolder(folder);
  return normalised === '' ? null : normalised;
}

/** Extensions ComfyUI loads as model weights, plus GGUF (ComfyUI-GGUF) and ONNX. */
const WEIGHT_EXTENSIONS = ['.safetensors', '.sft', '.ckpt', '.pt', '.pt2', '.pth', '.bin', '.pkl', '.gguf', '.onnx'];

export function isWeightFile(path: string): boolean {
  const lower = path.toLowerCase();
  return WEIGHT_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

const CIVITAI_MODEL_TYPE_FOLDERS: Record<string, string> = {
  checkpoint: 'checkpoints',
  textualinversion: 'embeddings',
  hypernetwork: 'hypernetworks',
  aestheticgradient: 'aesthetic_embeddings',
  lora: 'loras',
  locon: 'loras',
  dora: 'loras',
  lycoris: 'loras',
  controlnet: 'controlnet',
  upscaler: 'upscale_models',
  motionmodule: 'animatediff_models',
  vae: 'vae',
  poses: 'poses',
  wildcards: 'wildcards',
  workflows: 'workflows',
  detection: 'ultralytics',
  other: 'other',
};

/** File types that name their own folder whatever the model's type (a checkpoint's bundled VAE goes to vae/). */
const CIVITAI_FILE_TYPE_FOLDERS: Record<string, string> = {
  vae: 'vae',
  'text encoder': 'text_encoders',
  unet: 'diffusion_models',
  'diffusion model': 'diffusion_models',
  clipvision: 'clip_vision',
  controlnet: 'controlnet',
  upscaler: 'upscale_models',
  negative: 'embeddings',
  workflow: 'workflows',
  'training data': 'training_data',
};

function key(value: string | null | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

/**
 * Folder for a Civitai file. A GGUF checkpoint is a bare diffusion model, which ComfyUI-GGUF loads
 * from diffusion_models/. Unknown types follow ComfyUI-Model-Manager: lowercase type + "s".
 */
export function comfyFolderForCivitai(modelType: string | null, fileType: string | null, format: string | null): string {
  const byFile = CIVITAI_FILE_TYPE_FOLDERS[key(fileType)];
  if (byFile) return byFile;
  const type = key(modelType).replace(/\s+/g, '');
  if (type === 'checkpoint' && key(format) === 'gguf') return 'diffusion_models';
  const byModel = CIVITAI_MODEL_TYPE_FOLDERS[type];
  if (byModel) return byModel;
  const plain = type.replace(/[^a-z0-9_]/g, '');
  return plain ? `${plain}s` : 'other';
}

/** Folder names in a repository path (Comfy-Org's split_files/vae/…, diffusers' text_encoder/…). */
const PATH_SEGMENT_FOLDERS: Record<string, string> = {
  checkpoints: 'checkpoints',
  vae: 'vae',
  text_encoder: 'text_encoders',
  text_encoder_2: 'text_encoders',
  text_encoder_3: 'text_encoders',
  text_encoders: 'text_encoders',
  clip: 'text_encoders',
  unet: 'diffusion_models',
  transformer: 'diffusion_models',
  diffusion_models: 'diffusion_models',
  loras: 'loras',
  lora: 'loras',
  controlnet: 'controlnet',
  upscale_models: 'upscale_models',
  clip_vision: 'clip_vision',
  image_encoder: 'clip_vision',
  embeddings: 'embeddings',
  model_patches: 'model_patches',
  audio_encoders: 'audio_encoders',
};

const NAME_HINTS: Array<[RegExp, string]> = [
  [/(^|[^a-z0-9])(vae|ae)([^a-z0-9]|$)/i, 'vae'],
  [/lora/i, 'loras'],
  [/controlnet|(^|[^a-z])control[_-]/i, 'controlnet'],
  [/esrgan|upscal|(^|[^0-9])[248]x[_-]/i, 'upscale_models'],
  [/clip[_-]?vision|siglip/i, 'clip_vision'],
  [/t5xxl|umt5|clip[_-]?[lg]([^a-z]|$)|text[_-]?encoder/i, 'text_encoders'],
  // LLMs used as text encoders (Qwen3 for Z-Image, Llama for HunyuanVideo) ship as "…-Instruct" GGUFs.
  [/instruct.*\.gguf$/i, 'text_encoders'],
];

/** Best ComfyUI folder for a repository file, or null when nothing points anywhere (README, config). */
export function guessComfyFolderForPath(path: string): string | null {
  const segments = path.split('/');
  const fileName = segments.pop() ?? '';
  for (let index = segments.length - 1; index >= 0; index--) {
    const folder = PATH_SEGMENT_FOLDERS[segments[index]!.toLowerCase()];
    if (folder) return folder;
  }
  if (!isWeightFile(fileName)) return null;
  for (const [pattern, folder] of NAME_HINTS) {
    if (pattern.test(fileName)) return folder;
  }
  return fileName.toLowerCase().endsWith('.gguf') ? 'diffusion_models' : 'checkpoints';
}
