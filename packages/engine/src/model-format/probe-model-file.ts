/**
 * Reads as little of a model file as tells what it is — the safetensors header, or GGUF metadata
 * up to `general.architecture` — and classifies it. Works on any ReadBytes: a remote file before
 * download (remote-bytes.ts) or a local one. A file whose header cannot be parsed is classified
 * by its name, with the reason in the evidence; transport errors (404, refused, timeout) are
 * thrown for the caller to report.
 */
import { ModeldockError } from '../errors';
import type { ReadBytes } from './byte-reader';
import { classifyModelFile } from './classify-model';
import { readGgufMetadata } from './gguf-metadata';
import type { GgufMetadata } from './gguf-metadata';
import type { ModelClassification } from './model-class';
import { isRangeUnsupported } from './remote-bytes';
import { readSafetensorsHeader } from './safetensors-header';
import type { SafetensorsHeader } from './safetensors-header';

export type ProbedFormat = 'safetensors' | 'gguf';

export interface ModelFileProbe {
  /** The format the bytes turned out to be, or null when they were not read or are neither. */
  format: ProbedFormat | null;
  classification: ModelClassification;
  safetensors: SafetensorsHeader | null;
  gguf: GgufMetadata | null;
  /** Why the header was not used (no Range support, not parseable), or null. */
  problem: string | null;
}

/** Headers bigger than this are not fetched before a download. */
export const MAX_PROBED_HEADER_BYTES = 16 * 1024 * 1024;

/** Whether a name's extension says it has a header worth probing (or says nothing: no extension). */
export function isProbeableName(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return /\.(safetensors|sft|gguf)$/.test(lower) || !/\.[a-z0-9]{1,8}$/.test(lower);
}

function formatFromName(fileName: string): ProbedFormat | null {
  const lower = fileName.toLowerCase();
  if (/\.(safetensors|sft)$/.test(lower)) return 'safetensors';
  if (lower.endsWith('.gguf')) return 'gguf';
  return null;
}

function formatFromMagic(first8: Uint8Array): ProbedFormat | null {
  if (first8.length < 8) return null;
  const bytes = Buffer.from(first8.buffer, first8.byteOffset, first8.length);
  if (bytes.toString('latin1', 0, 4) === 'GGUF') return 'gguf';
  // A safetensors length is small and little-endian: its top bytes are zero.
  return bytes.readUInt32LE(4) === 0 && bytes.readUInt32LE(0) >= 2 ? 'safetensors' : null;
}

export async function probeModelFile(
  read: ReadBytes,
  file: { fileName: string; fileSize?: number | null },
): Promise<ModelFileProbe> {
  // Small reads only: a probe must not pull much of a file it is not downloading yet.
  const cached = read;
  let format = formatFromName(file.fileName);
  let safetensors: SafetensorsHeader | null = null;
  let gguf: GgufMetadata | null = null;
  let problem: string | null = null;
  try {
    if (format === null) format = formatFromMagic(await cached(0, 8));
    if (format === 'safetensors') {
      safetensors = await readSafetensorsHeader(cached, {
        fileSize: file.fileSize,
        maxHeaderBytes: MAX_PROBED_HEADER_BYTES,
      });
    } else if (format === 'gguf') {
      gguf = await readGgufMetadata(cached, {
        stopAfterKey: 'general.architecture',
        maxBytes: MAX_PROBED_HEADER_BYTES,
      });
    }
  } catch (error) {
    if (isRangeUnsupported(error))
      problem = 'the server does not allow reading its header before the download';
    else if (error instanceof ModeldockError && error.code === 'INVALID_FORMAT')
      problem = error.message;
    else throw error;
    format = null;
  }
  const classification = classifyModelFile({
    fileName: file.fileName,
    safetensors,
    gguf,
    unreadable: problem,
  });
  return { format, classification, safetensors, gguf, problem };
}
