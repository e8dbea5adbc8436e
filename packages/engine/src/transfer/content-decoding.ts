/**
 * Some servers compress the body even when asked for `Accept-Encoding: identity`. The file is what
 * the decoded bytes say: progress and offsets count decoded bytes, and such a transfer cannot be
 * resumed with ranges (those would address the compressed bytes), so it restarts from zero.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { Transform } from 'node:stream';
import { ModeldockError } from '../errors';
import { decompressionBombError, expandsTooMuch } from './body-limits';

export type ContentEncoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The body's encoding; throws for stacked or unknown encodings modeldock cannot undo. */
export function contentEncodingOf(headers: Record<string, string>): ContentEncoding {
  const value = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  if (value === 'br') return 'br';
  throw new ModeldockError(
    'HTTP_ERROR',
    `The server sent the file with an encoding modeldock cannot decode ("${value.slice(0, 40)}")`,
  );
}

/** zlib-wrapped deflate starts with a header whose first two bytes are a multiple of 31. */
function hasZlibHeader(first: Uint8Array): boolean {
  return first.length >= 2 && (first[0]! & 0x0f) === 8 && ((first[0]! << 8) | first[1]!) % 31 === 0;
}

async function* prepend(
  first: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const step = await rest.next();
    if (step.done) return;
    yield step.value;
  }
}

/** Counts the encoded bytes as they are read, for the decompression-bomb check. */
async function* counted(
  body: AsyncIterable<Uint8Array>,
  count: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    count.bytes += chunk.length;
    yield chunk;
  }
}

async function* decompress(
  body: AsyncIterable<Uint8Array>,
  encoding: Exclude<ContentEncoding, 'identity'>,
): AsyncGenerator<Uint8Array> {
  const encoded = { bytes: 0 };
  let decoded = 0;
  const iterator = counted(body, encoded)[Symbol.asyncIterator]();
  let source: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => iterator };
  let decoder: Transform;
  if (encoding === 'gzip') decoder = createGunzip();
  else if (encoding === 'br') decoder = createBrotliDecompress();
  else {
    const first = await iterator.next();
    if (first.done) return;
    decoder = hasZlibHeader(first.value) ? createInflate() : createInflateRaw();
    source = prepend(first.value, iterator);
  }
  const input = Readable.from(source, { objectMode: false });
  pipeline(input, decoder, () => {
    // Errors reach the consumer through the decoder's iterator.
  });
  try {
    for await (const chunk of decoder) {
      decoded += (chunk as Buffer).length;
      if (expandsTooMuch(encoded.bytes, decoded))
        throw decompressionBombError(encoded.bytes, decoded);
      yield chunk as Buffer;
    }
  } finally {
    input.destroy();
    await iterator.return?.(undefined);
  }
}

export function decodeBody(
  body: AsyncIterable<Uint8Array>,
  encoding: ContentEncoding,
): AsyncIterable<Uint8Array> {
  return encoding === 'identity' ? body : decompress(body, encoding);
}
