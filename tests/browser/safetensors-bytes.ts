/**
 * A small but valid safetensors file (one U8 tensor), so the server's post-download format check
 * accepts it the way it accepts a real model.
 */
import { generateBytes } from '../support/file-origin';

export function safetensorsBytes(totalSize: number, seed = 1): Buffer {
  const headerFor = (dataBytes: number) =>
    JSON.stringify({
      __metadata__: { format: 'pt' },
      // A VAE decoder's tensor name: modeldock reads it to place the file in vae/.
      'decoder.conv_in.weight': { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] },
    });
  // The header is padded with spaces to a multiple of 8 bytes, as the format allows.
  const paddedLength = (dataBytes: number) =>
    Math.ceil(Buffer.byteLength(headerFor(dataBytes)) / 8) * 8;
  let dataBytes = totalSize - 8 - paddedLength(totalSize);
  // The header's own length depends on the digits of dataBytes: settle on a size that fits.
  while (8 + paddedLength(dataBytes) + dataBytes > totalSize) dataBytes--;
  const header = Buffer.alloc(paddedLength(dataBytes), ' ');
  header.write(headerFor(dataBytes));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, generateBytes(dataBytes, seed)]);
}
