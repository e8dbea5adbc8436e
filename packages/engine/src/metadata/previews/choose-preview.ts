/**
 * Which of a version's images becomes the preview: the first still image within the user's content
 * limit (Civitai's nsfwLevel; default PG and PG-13, ≤ 2). An image without a level is not assumed
 * safe. Civitai's `/width=N/` path segment is set to a card-sized width so a preview is not the
 * full-resolution original.
 */
import type { CivitaiImage } from '../hubs/civitai-records';

export const DEFAULT_MAX_NSFW_LEVEL = 2;
const PREVIEW_WIDTH = 450;

export function choosePreviewImage(images: CivitaiImage[], maxNsfwLevel = DEFAULT_MAX_NSFW_LEVEL): CivitaiImage | null {
  return images.find((image) => image.type === 'image' && image.nsfwLevel !== null && image.nsfwLevel <= maxNsfwLevel) ?? null;
}

export function previewUrlOf(image: CivitaiImage): string {
  return image.url.replace(/\/width=\d+\//, `/width=${PREVIEW_WIDTH}/`);
}
