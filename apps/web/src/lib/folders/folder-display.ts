/** How model kinds and ComfyUI folders read on the page (the table itself comes from the server). */
import type { FolderTableRow } from '../api/types';

export const CLASS_LABELS: Record<string, string> = {
  checkpoint: 'Checkpoint',
  diffusion_model: 'Diffusion model',
  vae: 'VAE',
  vae_approx: 'Preview VAE (TAESD)',
  text_encoder: 'Text encoder',
  lora: 'LoRA',
  embedding: 'Embedding',
  controlnet: 'ControlNet',
  upscaler: 'Upscaler',
  clip_vision: 'CLIP vision',
  style_model: 'Style model',
  ipadapter: 'IPAdapter',
  detector_bbox: 'Detector (bbox)',
  detector_segm: 'Detector (segm)',
  audio_encoder: 'Audio encoder',
  hypernetwork: 'Hypernetwork',
  motion_module: 'Motion module',
  sam: 'Segment Anything',
};

/** "VAE", or the raw class when it is new to this page. */
export function classLabel(modelClass: string | null | undefined): string {
  if (!modelClass) return 'Unknown type';
  return CLASS_LABELS[modelClass] ?? modelClass;
}

/** "VAE, Upscaler" for a folder row; "by choice only" when no type is placed there by itself. */
export function folderKindsText(row: Pick<FolderTableRow, 'modelClasses'>): string {
  return row.modelClasses.length === 0
    ? 'chosen by you only'
    : row.modelClasses.map((modelClass) => classLabel(modelClass)).join(', ');
}

/** The option text of a folder select: the folder, then what goes there. */
export function folderOptionText(row: Pick<FolderTableRow, 'folder' | 'description'>): string {
  return `${row.folder} — ${row.description}`;
}
