/**
 * The small picture the library grid shows: at most 320×320 (aspect kept), WebP, decoded and
 * re-encoded by sharp so nothing of the original file (metadata, trailing bytes) reaches the
 * browser. A decompression bomb is refused by a pixel limit.
 */
import sharp from 'sharp';
import { ModeldockError } from '../../errors';

export const THUMBNAIL_SIZE = 320;
/** 8192 × 8192: more than any real preview, far less than a bomb. */
const MAX_INPUT_PIXELS = 8192 * 8192;

export type ThumbnailMaker = (image: Buffer) => Promise<Buffer>;

export const makeWebpThumbnail: ThumbnailMaker = async (image) => {
  try {
    return await sharp(image, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
  } catch (error) {
    throw new ModeldockError('NOT_AN_IMAGE', `The preview could not be decoded as an image: ${(error as Error).message}`, { cause: error });
  }
};
