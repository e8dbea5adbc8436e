/**
 * Gives a model its preview: the chosen image is fetched (fetch-image.ts), stored beside the model
 * as `<stem>.preview.<ext>` (when sidecars are on) and as a small WebP thumbnail in the data folder
 * under a name of the caller's choosing. A model with a preview already beside it only gets its
 * thumbnail; a model with no usable image gets the placeholder as its thumbnail instead.
 */
import path from 'node:path';
import { ModeldockError } from '../../errors';
import { absoluteDestination } from '../../paths/confine-path';
import type { FileSystem, HttpClient } from '../../ports';
import type { CivitaiImage } from '../hubs/civitai-records';
import { writeFileAtomically } from '../sidecars/atomic-write';
import { readBoundedFile } from '../sidecars/sidecar-json';
import { sidecarPath } from '../sidecars/sidecar-paths';
import { choosePreviewImage, previewUrlOf } from './choose-preview';
import { fetchImage, MAX_PREVIEW_BYTES } from './fetch-image';
import { placeholderSvg } from './placeholder';
import { sniffImage } from './sniff-image';
import { makeWebpThumbnail } from './thumbnail';
import type { ThumbnailMaker } from './thumbnail';

export interface RecoverPreviewInput {
  fs: FileSystem;
  http: HttpClient;
  maxRedirects: number;
  modelsRoot: string;
  /** Folder of thumbnails in the data folder. */
  thumbnailsDir: string;
  /** File name of this model's thumbnail (without extension), e.g. its entry id. */
  thumbnailName: string;
  relativePath: string;
  /** An existing preview beside the model (relative), from readSidecars. */
  existingPreview: string | null;
  images: CivitaiImage[];
  maxNsfwLevel: number;
  /** Write `<stem>.preview.<ext>` beside the model. */
  writeBeside: boolean;
  name: string;
  type: string | null;
  makeThumbnail?: ThumbnailMaker;
  signal?: AbortSignal;
}

export interface RecoveredPreview {
  /** 'image' when a real image is shown, 'placeholder' otherwise. */
  kind: 'image' | 'placeholder';
  /** File name of the thumbnail inside thumbnailsDir (`<name>.webp` or `<name>.svg`). */
  thumbnail: string;
  /** Relative path of the preview beside the model, when there is one. */
  besideModel: string | null;
  /** Why no image was used (an image that was refused, none within the content limit). */
  problem: { code: string; message: string } | null;
  nsfwLevel: number | null;
}

async function storeThumbnail(input: RecoverPreviewInput, bytes: Buffer, extension: 'webp' | 'svg'): Promise<string> {
  const name = `${input.thumbnailName}.${extension}`;
  await input.fs.mkdir(input.thumbnailsDir);
  await writeFileAtomically(input.fs, input.thumbnailsDir, name, bytes);
  // Only one thumbnail per model: a placeholder gives way to an image, and back.
  const other = path.join(input.thumbnailsDir, `${input.thumbnailName}.${extension === 'webp' ? 'svg' : 'webp'}`);
  await input.fs.unlink(other).catch(() => undefined);
  return name;
}

export async function recoverPreview(input: RecoverPreviewInput): Promise<RecoveredPreview> {
  const makeThumbnail = input.makeThumbnail ?? makeWebpThumbnail;
  let problem: RecoveredPreview['problem'] = null;

  if (input.existingPreview) {
    try {
      const bytes = await readBoundedFile(input.fs, absoluteDestination(input.modelsRoot, input.existingPreview), MAX_PREVIEW_BYTES);
      if (bytes === 'too-large' || !sniffImage(bytes)) throw new ModeldockError('NOT_AN_IMAGE', `${path.posix.basename(input.existingPreview)} is not a usable image`);
      const thumbnail = await storeThumbnail(input, await makeThumbnail(bytes), 'webp');
      return { kind: 'image', thumbnail, besideModel: input.existingPreview, problem: null, nsfwLevel: null };
    } catch (error) {
      problem = { code: (error as ModeldockError).code ?? 'IO_ERROR', message: (error as Error).message };
    }
  }

  const image = choosePreviewImage(input.images, input.maxNsfwLevel);
  if (image) {
    try {
      const fetched = await fetchImage(previewUrlOf(image), { http: input.http, maxRedirects: input.maxRedirects, signal: input.signal });
      const thumbnailBytes = await makeThumbnail(fetched.bytes);
      let besideModel: string | null = null;
      if (input.writeBeside) {
        besideModel = sidecarPath(input.relativePath, `.preview.${fetched.format === 'jpeg' ? 'jpg' : fetched.format}`);
        await writeFileAtomically(input.fs, input.modelsRoot, besideModel, fetched.bytes);
      }
      const thumbnail = await storeThumbnail(input, thumbnailBytes, 'webp');
      return { kind: 'image', thumbnail, besideModel, problem: null, nsfwLevel: image.nsfwLevel };
    } catch (error) {
      if (input.signal?.aborted) throw error;
      problem = { code: (error as ModeldockError).code ?? 'NETWORK_ERROR', message: (error as Error).message };
    }
  } else if (!problem && input.images.length > 0) {
    problem = { code: 'NOT_AN_IMAGE', message: 'No image of this model is within your content limit' };
  }

  const thumbnail = await storeThumbnail(input, Buffer.from(placeholderSvg(input.name, input.type)), 'svg');
  return { kind: 'placeholder', thumbnail, besideModel: null, problem, nsfwLevel: null };
}
