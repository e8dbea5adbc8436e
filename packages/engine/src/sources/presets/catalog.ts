/**
 * Presets: named sets of files that make one working model, kept as data. Each file says where it
 * comes from (a Hugging Face repository and path, resolved at the current commit of `revision`) and
 * which ComfyUI folder it belongs in. `preset:<id>` downloads the whole set as one job.
 */
import type { HfRepoType } from '../huggingface/hf-input';

export interface PresetFile {
  /** What the file is for, shown next to it ("diffusion model", "VAE", …). */
  role: string;
  repoType?: HfRepoType;
  repoId: string;
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Path inside the repository. */
  path: string;
  /** ComfyUI folder under the models root. */
  folder: string;
  /** Saved name when it differs from the repository's. */
  filename?: string;
  /** Size in bytes when known, for the status of a preset before anything is resolved. */
  bytes?: number;
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  files: PresetFile[];
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'z-image-turbo',
    title: 'Z-Image Turbo (GGUF Q8_0)',
    description:
      'Z-Image Turbo text-to-image for ComfyUI: the Q8_0 GGUF diffusion model, the FLUX autoencoder and Qwen3-4B as text encoder (needs the ComfyUI-GGUF nodes).',
    files: [
      {
        role: 'diffusion model',
        repoId: 'leejet/Z-Image-Turbo-GGUF',
        path: 'z_image_turbo-Q8_0.gguf',
        folder: 'diffusion_models',
      },
      {
        role: 'VAE',
        repoId: 'black-forest-labs/FLUX.1-schnell',
        path: 'ae.safetensors',
        folder: 'vae',
      },
      {
        role: 'text encoder',
        repoId: 'unsloth/Qwen3-4B-Instruct-2507-GGUF',
        path: 'Qwen3-4B-Instruct-2507-Q8_0.gguf',
        folder: 'text_encoders',
      },
    ],
  },
];

export function findPreset(id: string, catalog: readonly Preset[] = PRESETS): Preset | null {
  const wanted = id.trim().toLowerCase();
  return catalog.find((preset) => preset.id === wanted) ?? null;
}
