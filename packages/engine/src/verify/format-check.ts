/**
 * Is this really the model file? Checked by extension and magic bytes after the download (and by
 * Content-Type before it): an HTML login page or a JSON error is not a model, a safetensors header
 * must describe exactly the bytes that follow it, a GGUF file starts with its magic, and pickle
 * formats are accepted with a warning because loading them can run code.
 */
import path from 'node:path';
import type { FileFormat } from '../job-model';
import { ModeldockError, toModeldockError } from '../errors';
import type { FileSystem, WritableFile } from '../ports';
import { redactSecrets } from '../secrets/redact';
import { classifySafetensorsHeader } from '../model-format/classify-model';
import type { ModelClassification } from '../model-format/model-class';

export interface FormatCheckResult {
  format: FileFormat;
  warnings: string[];
  /** What a safetensors header says the file is (checked against its folder after the download). */
  classification?: ModelClassification;
}

/** The safetensors reference implementation refuses headers above 100 MB. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;
const SNIFF_BYTES = 4096;

const SAFETENSORS_EXTENSIONS = new Set(['.safetensors', '.sft']);
const GGUF_EXTENSIONS = new Set(['.gguf']);
const PICKLE_EXTENSIONS = new Set(['.ckpt', '.pt', '.pth', '.bin', '.pkl']);
/** Other weight formats: checked for HTML/JSON bodies but not parsed. */
const OTHER_MODEL_EXTENSIONS = new Set([
  '.pt2',
  '.onnx',
  '.h5',
  '.msgpack',
  '.tflite',
  '.mlmodel',
  '.pb',
  '.nemo',
  '.engine',
]);

const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
};

function extensionOf(fileName: string): string {
  return path.extname(fileName).toLowerCase();
}

/** True for names whose content must be model weights (so an HTML or JSON body is an error). */
export function isModelFileName(fileName: string): boolean {
  const extension = extensionOf(fileName);
  return (
    SAFETENSORS_EXTENSIONS.has(extension) ||
    GGUF_EXTENSIONS.has(extension) ||
    PICKLE_EXTENSIONS.has(extension) ||
    OTHER_MODEL_EXTENSIONS.has(extension)
  );
}

function invalid(fileName: string, problem: string): ModeldockError {
  return new ModeldockError('INVALID_FORMAT', `"${fileName}" is not a valid ${problem}`);
}

// ---------------------------------------------------------------------------------------------
// HTML and JSON bodies where a model was expected.
// ---------------------------------------------------------------------------------------------

export type UnexpectedBodyKind = 'html' | 'json' | 'xml';

/** What a body's first bytes look like, or null when they look like binary data. */
export function sniffTextBody(sample: Uint8Array): UnexpectedBodyKind | null {
  let text = Buffer.from(
    sample.buffer,
    sample.byteOffset,
    Math.min(sample.length, SNIFF_BYTES),
  ).toString('utf8');
  // trimStart() also removes a byte order mark (U+FEFF counts as white space).
  text = text.trimStart().toLowerCase();
  if (/^<(!doctype\s+html|html|head|body|script|meta|title|div|!--)/.test(text)) return 'html';
  if (text.startsWith('<?xml')) return /<html/.test(text) ? 'html' : 'xml';
  if (/^[{[]\s*["\]}]/.test(text)) return 'json';
  return null;
}

function jsonMessage(text: string): string | null {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const parts = [parsed.message, parsed.error, parsed.detail].filter(
      (part): part is string => typeof part === 'string' && part.trim() !== '',
    );
    return [...new Set(parts)].join(': ') || null;
  } catch {
    const match = /"(?:message|error)"\s*:\s*"([^"]{1,300})"/.exec(text);
    return match?.[1] ?? null;
  }
}

/** "The server sent an HTML page (looks like a login page) instead of the model file". */
export function describeUnexpectedBody(
  kind: UnexpectedBodyKind,
  sample: Uint8Array,
  fileName: string,
): string {
  const text = Buffer.from(
    sample.buffer,
    sample.byteOffset,
    Math.min(sample.length, SNIFF_BYTES),
  ).toString('utf8');
  if (kind === 'html') {
    const looksLike = /log\s?-?in|sign\s?-?in|password|returnurl|auth/i.test(text)
      ? ' (looks like a login page: the file probably needs an API key or an account)'
      : /captcha|cloudflare|challenge/i.test(text)
        ? ' (looks like a bot check)'
        : /error|not found|denied|forbidden|unavailable/i.test(text)
          ? ' (looks like an error page)'
          : '';
    return `The server sent an HTML page${looksLike} instead of the model file "${fileName}"`;
  }
  if (kind === 'xml') {
    const code = /<code>([^<]{1,100})<\/code>/i.exec(text)?.[1];
    return `The server sent an XML error${code ? ` (${redactSecrets(code)})` : ''} instead of the model file "${fileName}"`;
  }
  const message = jsonMessage(text.trim());
  const said = message ? `: "${redactSecrets(message.replace(/\s+/g, ' ').slice(0, 300))}"` : '';
  return `The server sent a JSON response instead of the model file "${fileName}"${said}`;
}

/**
 * Rejects a response before any byte is written when its Content-Type says it is a web page or an
 * API error and the file should be model weights. `sample` (the body's first bytes) refines the message.
 */
export function unexpectedContentTypeError(
  contentType: string | undefined,
  fileName: string,
  sample: Uint8Array,
): ModeldockError | null {
  if (!contentType || !isModelFileName(fileName)) return null;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  let kind: UnexpectedBodyKind | null = null;
  if (type === 'text/html' || type === 'application/xhtml+xml') kind = 'html';
  else if (type === 'application/json' || type.endsWith('+json')) kind = 'json';
  if (!kind) return null;
  return new ModeldockError(
    'NOT_A_MODEL',
    describeUnexpectedBody(sniffTextBody(sample) ?? kind, sample, fileName),
  );
}

// ---------------------------------------------------------------------------------------------
// Reading the downloaded file.
// ---------------------------------------------------------------------------------------------

async function readAt(handle: WritableFile, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** `header` is an object: the bytes it was parsed from start with '{'. */
function checkSafetensorsHeader(header: object, dataBytes: number, fileName: string): void {
  const ranges: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const tensor = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const offsets = tensor?.data_offsets;
    if (
      !tensor ||
      typeof tensor.dtype !== 'string' ||
      !Array.isArray(tensor.shape) ||
      !tensor.shape.every(
        (dimension) => Number.isSafeInteger(dimension) && (dimension as number) >= 0,
      ) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      throw invalid(fileName, `safetensors file: tensor "${name.slice(0, 100)}" is malformed`);
    }
    const [begin, end] = offsets as [number, number];
    const elementBytes = DTYPE_BYTES[tensor.dtype];
    if (elementBytes !== undefined) {
      const elements = (tensor.shape as number[]).reduce(
        (product, dimension) => product * dimension,
        1,
      );
      if (elements * elementBytes !== end - begin) {
        throw invalid(
          fileName,
          `safetensors file: tensor "${name.slice(0, 100)}" has the wrong byte length`,
        );
      }
    }
    ranges.push([begin, end, name]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let expected = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== expected) {
      throw invalid(
        fileName,
        `safetensors file: tensor data is not contiguous at "${name.slice(0, 100)}" (offset ${begin}, expected ${expected})`,
      );
    }
    expected = end;
  }
  if (expected !== dataBytes) {
    throw invalid(
      fileName,
      `safetensors file: its header describes ${expected} bytes of tensors but ${dataBytes} follow (truncated or padded file)`,
    );
  }
}

async function checkSafetensors(
  handle: WritableFile,
  head: Buffer,
  size: number,
  fileName: string,
): Promise<object> {
  // The smallest safetensors file: the length field and the header "{}".
  if (head.length < 10) throw invalid(fileName, 'safetensors file: it is too short');
  const headerLength = head.readBigUInt64LE(0);
  // Checked as a bigint before any allocation: a hostile length must never size a buffer.
  if (
    headerLength < 2n ||
    headerLength > BigInt(SAFETENSORS_MAX_HEADER_BYTES) ||
    headerLength > BigInt(size - 8)
  ) {
    throw invalid(
      fileName,
      `safetensors file: its header length (${headerLength}) is impossible for a ${size}-byte file`,
    );
  }
  const length = Number(headerLength);
  // A small header is already in `head`: one read per file matters for bundles of thousands.
  const headerBytes =
    8 + length <= head.length ? head.subarray(8, 8 + length) : await readAt(handle, 8, length);
  if (headerBytes[0] !== 0x7b)
    throw invalid(fileName, 'safetensors file: its header does not start with "{"');
  let header: object;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as object;
  } catch {
    throw invalid(fileName, 'safetensors file: its header is not valid JSON');
  }
  checkSafetensorsHeader(header, size - 8 - length, fileName);
  return header;
}

/** The header already parsed and checked, classified by its tensor names and metadata. */
function classifyCheckedHeader(header: object): ModelClassification {
  const tensors = new Map<string, never>();
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name !== '__metadata__') tensors.set(name, undefined as never);
    // A __metadata__ that is no object has no named keys (a string's are its character indexes).
    else
      for (const [key, text] of Object.entries((value ?? {}) as Record<string, unknown>))
        if (typeof text === 'string') metadata[key] = text;
  }
  return classifySafetensorsHeader({ tensors, metadata, dataStart: 0 });
}

const GGUF_MAGIC = Buffer.from('GGUF');

function isGgufMagic(head: Buffer): boolean {
  return head.subarray(0, 4).equals(GGUF_MAGIC);
}

/**
 * The fixed GGUF header: magic, version, then the tensor and metadata counts (32-bit each in
 * version 1, so 16 bytes; 64-bit since version 2, so 24 bytes).
 */
function checkGguf(head: Buffer, fileName: string): void {
  if (!isGgufMagic(head)) throw invalid(fileName, 'GGUF file: it does not start with "GGUF"');
  if (head.length < 16) throw invalid(fileName, 'GGUF file: it is too short');
  const version = head.readUInt32LE(4);
  if (version < 1 || version > 3) throw invalid(fileName, `GGUF file: unknown version ${version}`);
  if (version > 1 && head.length < 24) throw invalid(fileName, 'GGUF file: it is too short');
}

function pickleWarning(fileName: string): string {
  return (
    `"${fileName}" is a pickle-based file (${extensionOf(fileName)}): loading it can run arbitrary code. ` +
    'Only use it if you trust its author; prefer a .safetensors version when one exists.'
  );
}

/**
 * Checks the file at `filePath` (already complete, `size` bytes) and names its format. `openFile`
 * reads through a handle the caller already holds (and keeps open) instead of opening the file.
 */
export async function checkModelFormat(
  fs: FileSystem,
  filePath: string,
  fileName: string,
  size: number,
  openFile?: WritableFile,
): Promise<FormatCheckResult> {
  const extension = extensionOf(fileName);
  let handle: WritableFile;
  try {
    handle = openFile ?? (await fs.open(filePath, 'r'));
  } catch (error) {
    throw toModeldockError(error, 'IO_ERROR');
  }
  try {
    const head = await readAt(handle, 0, Math.min(size, SNIFF_BYTES));
    const notAModel = (): ModeldockError | null => {
      const kind = isModelFileName(fileName) ? sniffTextBody(head) : null;
      return kind
        ? new ModeldockError('NOT_A_MODEL', describeUnexpectedBody(kind, head, fileName))
        : null;
    };
    if (SAFETENSORS_EXTENSIONS.has(extension)) {
      let header: object;
      try {
        header = await checkSafetensors(handle, head, size, fileName);
      } catch (error) {
        throw notAModel() ?? error;
      }
      return { format: 'safetensors', warnings: [], classification: classifyCheckedHeader(header) };
    }
    if (GGUF_EXTENSIONS.has(extension)) {
      try {
        checkGguf(head, fileName);
      } catch (error) {
        throw notAModel() ?? error;
      }
      return { format: 'gguf', warnings: [] };
    }
    const textBody = notAModel();
    if (textBody) throw textBody;
    if (PICKLE_EXTENSIONS.has(extension))
      return { format: 'pickle', warnings: [pickleWarning(fileName)] };
    if (head.length >= 8 && isGgufMagic(head)) return { format: 'gguf', warnings: [] };
    return { format: 'other', warnings: [] };
  } finally {
    if (!openFile) await handle.close().catch(() => undefined);
  }
}
