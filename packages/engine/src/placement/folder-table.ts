/**
 * THE table of where model files go: every folder ComfyUI (or a named custom node) reads, and how
 * Civitai's types, Hugging Face paths and a classified header map onto them. Data only; the rules
 * that apply it are in choose-folder.ts. A type that maps to null has no folder anything reads:
 * the user is asked to choose one.
 */
import type { ModelClass } from '../model-format/model-class';

export interface ComfyFolder {
  /** Path under the models root. */
  folder: string;
  /** One line for the folder select: what goes there and what reads it. */
  description: string;
}

/** The folders offered to a user choosing one, ComfyUI's own first, then custom nodes'. */
export const COMFYUI_FOLDERS: readonly ComfyFolder[] = [
  {
    folder: 'checkpoints',
    description: 'Full checkpoints (model + VAE + text encoder): Load Checkpoint',
  },
  {
    folder: 'diffusion_models',
    description: 'Bare diffusion models / transformers: Load Diffusion Model, Unet Loader (GGUF)',
  },
  { folder: 'vae', description: 'VAEs and autoencoders: Load VAE' },
  {
    folder: 'text_encoders',
    description: 'Text encoders (CLIP, T5, Qwen, Llama; GGUF too): Load CLIP, CLIPLoader (GGUF)',
  },
  { folder: 'loras', description: 'LoRA, LoCon, LyCORIS, DoRA: Load LoRA' },
  { folder: 'embeddings', description: 'Textual-inversion embeddings: embedding:name in a prompt' },
  { folder: 'controlnet', description: 'ControlNets and T2I adapters: Load ControlNet Model' },
  { folder: 'upscale_models', description: 'ESRGAN-style image upscalers: Load Upscale Model' },
  { folder: 'clip_vision', description: 'CLIP / SigLIP vision encoders: Load CLIP Vision' },
  { folder: 'style_models', description: 'Style models (Flux Redux): Load Style Model' },
  { folder: 'vae_approx', description: 'Tiny preview VAEs (TAESD): live previews' },
  { folder: 'hypernetworks', description: 'Hypernetworks: Load Hypernetwork' },
  { folder: 'gligen', description: 'GLIGEN models: GLIGEN Loader' },
  { folder: 'photomaker', description: 'PhotoMaker models: PhotoMaker Loader' },
  { folder: 'model_patches', description: 'Model patches: Model Patch Loader' },
  {
    folder: 'audio_encoders',
    description: 'Audio encoders (wav2vec2, Whisper): Audio Encoder Loader',
  },
  { folder: 'latent_upscale_models', description: 'Latent upscalers: Latent Upscale Model Loader' },
  {
    folder: 'diffusers',
    description: 'Whole diffusers folders (model_index.json): Diffusers Loader',
  },
  { folder: 'ipadapter', description: 'IPAdapter models (ComfyUI_IPAdapter_plus)' },
  { folder: 'ultralytics/bbox', description: 'YOLO box detectors (Impact Pack / Subpack)' },
  {
    folder: 'ultralytics/segm',
    description: 'YOLO segmentation detectors (Impact Pack / Subpack)',
  },
  { folder: 'sams', description: 'Segment Anything models (Impact Pack)' },
  { folder: 'animatediff_models', description: 'AnimateDiff motion modules (AnimateDiff-Evolved)' },
  { folder: 'insightface', description: 'InsightFace models (IPAdapter FaceID, ReActor)' },
];

/** ComfyUI's old names (folder_paths.map_legacy), understood wherever a folder is given. */
export const LEGACY_FOLDER_NAMES: Readonly<Record<string, string>> = {
  unet: 'diffusion_models',
  clip: 'text_encoders',
};

/** Where each kind of file goes. */
export const CLASS_FOLDERS: Readonly<Record<ModelClass, string>> = {
  checkpoint: 'checkpoints',
  diffusion_model: 'diffusion_models',
  vae: 'vae',
  vae_approx: 'vae_approx',
  text_encoder: 'text_encoders',
  lora: 'loras',
  embedding: 'embeddings',
  controlnet: 'controlnet',
  upscaler: 'upscale_models',
  clip_vision: 'clip_vision',
  style_model: 'style_models',
  ipadapter: 'ipadapter',
  detector_bbox: 'ultralytics/bbox',
  detector_segm: 'ultralytics/segm',
  audio_encoder: 'audio_encoders',
  hypernetwork: 'hypernetworks',
  motion_module: 'animatediff_models',
  sam: 'sams',
};

/** Civitai model types (`model.type`, compared lowercased without spaces). Null: nothing in models/ reads it. */
export const CIVITAI_MODEL_TYPES: Readonly<Record<string, ModelClass | null>> = {
  checkpoint: 'checkpoint',
  textualinversion: 'embedding',
  hypernetwork: 'hypernetwork',
  lora: 'lora',
  locon: 'lora',
  dora: 'lora',
  lycoris: 'lora',
  controlnet: 'controlnet',
  upscaler: 'upscaler',
  motionmodule: 'motion_module',
  vae: 'vae',
  detection: 'detector_bbox',
  aestheticgradient: null,
  poses: null,
  wildcards: null,
  workflows: null,
  other: null,
};

/**
 * Civitai file types (`files[].type`) that say what the file is whatever the model's type (a
 * checkpoint's bundled VAE is a VAE). Types absent here ("Model", "Pruned Model") follow the model.
 * Null: not a model file (training data, configs, archives): asked for, never placed by default.
 */
export const CIVITAI_FILE_TYPES: Readonly<Record<string, ModelClass | null>> = {
  vae: 'vae',
  'text encoder': 'text_encoder',
  unet: 'diffusion_model',
  'diffusion model': 'diffusion_model',
  clipvision: 'clip_vision',
  controlnet: 'controlnet',
  upscaler: 'upscaler',
  negative: 'embedding',
  workflow: null,
  'training data': null,
  archive: null,
  config: null,
};

/**
 * Hugging Face path folders. `split_files/<folder>/` (Comfy-Org's repackaged repositories) names
 * the ComfyUI folder itself and is authoritative; the diffusers component folders below only hint.
 */
export const HF_PATH_HINTS: Readonly<Record<string, ModelClass>> = {
  vae: 'vae',
  text_encoder: 'text_encoder',
  text_encoder_2: 'text_encoder',
  text_encoder_3: 'text_encoder',
  unet: 'diffusion_model',
  transformer: 'diffusion_model',
  image_encoder: 'clip_vision',
  controlnet: 'controlnet',
};

/** Files that are documentation, not models: listed, never downloaded unless asked for. */
export const DOCUMENTATION_FILE =
  /(^|\/)(readme[^/]*|license[^/]*|licence[^/]*|notice[^/]*|\.gitattributes|\.gitignore|[^/]*\.(md|txt|png|jpe?g|webp|gif|avif|mp4|webm|pdf|html?))$/i;

/** Repository files a loader reads beside diffusers/transformers weights: kept only in the HF cache layout. */
export const LOADER_FILE =
  /(^|\/)([^/]*\.json|[^/]*\.model|[^/]*\.tiktoken|merges\.txt|vocab\.txt|[^/]*\.ya?ml|[^/]*\.py)$/i;

/** One row of the table as Settings and the folder select show it. */
export interface FolderTableRow extends ComfyFolder {
  /** The kinds of file placed here by type (from the header, the source or the name). */
  modelClasses: ModelClass[];
  /** Civitai model types placed here (lowercased, as matched). */
  civitaiTypes: string[];
}

/** The whole table, one row per folder, in the order of COMFYUI_FOLDERS. */
export function folderTableRows(): FolderTableRow[] {
  return COMFYUI_FOLDERS.map((entry) => ({
    ...entry,
    modelClasses: (Object.keys(CLASS_FOLDERS) as ModelClass[]).filter(
      (modelClass) => CLASS_FOLDERS[modelClass] === entry.folder,
    ),
    civitaiTypes: Object.entries(CIVITAI_MODEL_TYPES)
      .filter(([, modelClass]) => modelClass !== null && CLASS_FOLDERS[modelClass] === entry.folder)
      .map(([type]) => type),
  }));
}

/** Civitai types that no folder reads: a download of one asks for a folder. */
export function unplacedCivitaiTypes(): string[] {
  return Object.entries(CIVITAI_MODEL_TYPES)
    .filter(([, modelClass]) => modelClass === null)
    .map(([type]) => type);
}
