/**
 * The file names other tools use beside a model (`<stem>` = the model's file name without its
 * extension): Civitai Helper's `.civitai.info`, ComfyUI-Lora-Manager's `.metadata.json`, A1111's
 * `.json`, and previews in the order Lora-Manager looks for them.
 */
import path from 'node:path';

export function stemOf(relativePath: string): string {
  const base = path.posix.basename(relativePath);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** The sidecar beside a model: same folder, `<stem><suffix>`. */
export function sidecarPath(relativePath: string, suffix: string): string {
  const folder = path.posix.dirname(relativePath);
  const name = `${stemOf(relativePath)}${suffix}`;
  return folder === '.' ? name : `${folder}/${name}`;
}

export const CIVITAI_INFO_SUFFIX = '.civitai.info';
export const LORA_MANAGER_SUFFIX = '.metadata.json';
export const A1111_SUFFIX = '.json';

/** Preview suffixes in Lora-Manager's search order (images only: modeldock shows no videos). */
export const PREVIEW_SUFFIXES = [
  '.webp',
  '.preview.webp',
  '.preview.png',
  '.preview.jpeg',
  '.preview.jpg',
  '.png',
  '.jpeg',
  '.jpg',
  '.avif',
  '.preview.avif',
  '.gif',
];

/** Every sidecar a model may have (for delete and "sidecars present"). */
export function sidecarCandidates(relativePath: string): string[] {
  return [CIVITAI_INFO_SUFFIX, LORA_MANAGER_SUFFIX, A1111_SUFFIX, ...PREVIEW_SUFFIXES].map((suffix) => sidecarPath(relativePath, suffix));
}
