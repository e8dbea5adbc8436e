/**
 * Downloads a preview image through the engine's guarded HTTP client: the same private-address
 * guard (after DNS, on every connection), the same hop-by-hop redirect checks, a deadline, no
 * credential to the image host, and a body bounded to 20 MB. The bytes must be an image by their
 * own signature.
 */
import { ModeldockError, toModeldockError } from '../../errors';
import { followRedirects } from '../../http/follow-redirects';
import { describeUrl, parseHttpUrl } from '../../http/http-url';
import type { HttpClient } from '../../ports';
import { sniffImage } from './sniff-image';
import type { ImageFormat } from './sniff-image';

export const MAX_PREVIEW_BYTES = 20 * 1024 * 1024;

export interface FetchImageOptions {
  http: HttpClient;
  maxRedirects: number;
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface FetchedImage {
  bytes: Buffer;
  format: ImageFormat;
}

export async function fetchImage(url: string, options: FetchImageOptions): Promise<FetchedImage> {
  const maxBytes = options.maxBytes ?? MAX_PREVIEW_BYTES;
  const shown = describeUrl(parseHttpUrl(url));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ModeldockError('IDLE_TIMEOUT', `The image at ${shown} did not arrive within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s`)), options.timeoutMs ?? 30_000);
  const forward = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forward, { once: true });
  try {
    const { response } = await followRedirects(options.http, {
      url,
      method: 'GET',
      headers: { accept: 'image/avif,image/webp,image/png,image/jpeg' },
      signal: controller.signal,
      maxRedirects: options.maxRedirects,
    });
    if (response.status !== 200) {
      await response.dump();
      throw new ModeldockError(response.status === 404 ? 'REMOTE_NOT_FOUND' : 'HTTP_ERROR', `The image host answered HTTP ${response.status} for ${shown}`, { httpStatus: response.status });
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.dump();
      throw tooLarge(shown, maxBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > maxBytes) {
        controller.abort(new Error('too large'));
        throw tooLarge(shown, maxBytes);
      }
      chunks.push(Buffer.from(chunk));
    }
    const bytes = Buffer.concat(chunks);
    const format = sniffImage(bytes);
    if (!format) throw new ModeldockError('NOT_AN_IMAGE', `${shown} is not a PNG, JPEG, WebP or AVIF image (its bytes say otherwise): not used as a preview`);
    return { bytes, format };
  } catch (error) {
    if (error instanceof ModeldockError) throw error;
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof ModeldockError) throw reason;
    throw toModeldockError(error, 'NETWORK_ERROR');
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forward);
  }
}

function tooLarge(shown: string, maxBytes: number): ModeldockError {
  return new ModeldockError('NOT_AN_IMAGE', `The image at ${shown} is larger than ${Math.round(maxBytes / 1024 / 1024)} MB: not used as a preview`);
}
