/**
 * Which ComfyUI nodes load model files, which of their inputs name the file (by input name for the
 * API format, by position in `widgets_values` for the UI format) and the models folder it is read
 * from (ComfyUI's folder_paths names; ComfyUI-GGUF's loaders read the same folders).
 */

export interface LoaderInput {
  /** The input's name in the API format (and in an object-shaped `widgets_values`). */
  name: string;
  /** Its position in a list-shaped `widgets_values`. */
  widget: number;
  folder: string;
}

const one = (name: string, folder: string, widget = 0): LoaderInput[] => [{ name, widget, folder }];
const clips = (count: number, folder = 'text_encoders'): LoaderInput[] =>
  Array.from({ length: count }, (_, index) => ({
    name: `clip_name${index + 1}`,
    widget: index,
    folder,
  }));

export const LOADER_NODES: Readonly<Record<string, LoaderInput[]>> = {
  CheckpointLoaderSimple: one('ckpt_name', 'checkpoints'),
  CheckpointLoader: [{ name: 'ckpt_name', widget: 1, folder: 'checkpoints' }],
  ImageOnlyCheckpointLoader: one('ckpt_name', 'checkpoints'),
  unCLIPCheckpointLoader: one('ckpt_name', 'checkpoints'),
  LoraLoader: one('lora_name', 'loras'),
  LoraLoaderModelOnly: one('lora_name', 'loras'),
  VAELoader: one('vae_name', 'vae'),
  UNETLoader: one('unet_name', 'diffusion_models'),
  CLIPLoader: one('clip_name', 'text_encoders'),
  DualCLIPLoader: clips(2),
  TripleCLIPLoader: clips(3),
  QuadrupleCLIPLoader: clips(4),
  CLIPVisionLoader: one('clip_name', 'clip_vision'),
  ControlNetLoader: one('control_net_name', 'controlnet'),
  DiffControlNetLoader: one('control_net_name', 'controlnet'),
  UpscaleModelLoader: one('model_name', 'upscale_models'),
  LatentUpscaleModelLoader: one('model_name', 'latent_upscale_models'),
  StyleModelLoader: one('style_model_name', 'style_models'),
  GLIGENLoader: one('gligen_name', 'gligen'),
  HypernetworkLoader: one('hypernetwork_name', 'hypernetworks'),
  PhotoMakerLoader: one('photomaker_model_name', 'photomaker'),
  ModelPatchLoader: one('name', 'model_patches'),
  AudioEncoderLoader: one('audio_encoder_name', 'audio_encoders'),
  // ComfyUI-GGUF: .gguf files in the diffusion_models and text_encoders folders.
  UnetLoaderGGUF: one('unet_name', 'diffusion_models'),
  UnetLoaderGGUFAdvanced: one('unet_name', 'diffusion_models'),
  CLIPLoaderGGUF: one('clip_name', 'text_encoders'),
  DualCLIPLoaderGGUF: clips(2),
  TripleCLIPLoaderGGUF: clips(3),
  QuadrupleCLIPLoaderGGUF: clips(4),
};

/** ComfyUI's legacy folder names (folder_paths.map_legacy), still scanned beside the new ones. */
export const LEGACY_FOLDERS: Readonly<Record<string, string>> = {
  unet: 'diffusion_models',
  clip: 'text_encoders',
};

/** The folder a workflow hint's `directory` means ("unet" → "diffusion_models"). */
export function currentFolder(directory: string): string {
  return LEGACY_FOLDERS[directory] ?? directory;
}

/** Every folder ComfyUI reads a folder's files from: the folder and its legacy name. */
export function foldersRead(folder: string): string[] {
  return [
    folder,
    ...Object.entries(LEGACY_FOLDERS)
      .filter(([, current]) => current === folder)
      .map(([legacy]) => legacy),
  ];
}
