/** A small file that passes the server's GGUF check: the "GGUF" magic, version 3, then filler. */
import { generateBytes } from '../support/file-origin';

export function ggufBytes(totalSize: number, seed = 1): Buffer {
  const header = Buffer.alloc(8);
  header.write('GGUF', 0, 'latin1');
  header.writeUInt32LE(3, 4);
  return Buffer.concat([header, generateBytes(totalSize - header.length, seed)]);
}
