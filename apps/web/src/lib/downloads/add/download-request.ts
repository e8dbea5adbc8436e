/**
 * From the add-download form's fields to the request a preview and a download send. Only what the
 * person filled in is sent, and only the options that apply to the kind of source pasted; the server
 * validates everything and says what is wrong.
 */
import type { CivitaiFileChoice, DestinationLayout, ResolveInput } from '../../api/types';

export interface CivitaiFields {
  type: string;
  format: string;
  size: string;
  fp: string;
  quantType: string;
  /** Svelte leaves a number field's value undefined or null while it is empty. */
  fileId: number | null | undefined;
}

export interface DownloadFields {
  url: string;
  folder: string;
  filename: string;
  sha256: string;
  /** Hugging Face: branch, tag or commit. */
  revision: string;
  /** Hugging Face: glob patterns, one per line or separated by commas. */
  include: string;
  exclude: string;
  /** '' keeps the server's default (ComfyUI folders). */
  layout: DestinationLayout | '';
  civitai: CivitaiFields;
}

/** Which option groups apply: each hub has its own. */
export type SourceFamily = 'huggingface' | 'civitai' | 'other';

export function emptyFields(): DownloadFields {
  return {
    url: '',
    folder: '',
    filename: '',
    sha256: '',
    revision: '',
    include: '',
    exclude: '',
    layout: '',
    civitai: { type: '', format: '', size: '', fp: '', quantType: '', fileId: undefined },
  };
}

/** "*.gguf, *.json" or one pattern per line → ["*.gguf", "*.json"]. */
export function splitPatterns(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
}

const HUGGING_FACE_HOSTS = /^(?:www\.)?(?:huggingface\.co|hf\.co)$/i;
const CIVITAI_HOSTS = /^(?:www\.)?civitai\.(?:com|green|red)$/i;
/** `org/name…` without a scheme: how people paste a Hugging Face repository. Orgs never contain dots. */
const BARE_REPO_ID =
  /^(?:(?:datasets|spaces|models)\/)?[A-Za-z0-9][A-Za-z0-9_-]*\/[A-Za-z0-9][^\s:?#]*$/;

function hostOf(text: string): string {
  return text
    .replace(/^https?:\/\//i, '')
    .split(/[/?#]/, 1)[0]!
    .toLowerCase();
}

/**
 * A guess from the text alone, before the server has answered: public hub links, `hf://`, bare
 * repository ids, Civitai AIRs. A hub behind a custom endpoint is only known once a preview says so.
 */
export function guessSourceFamily(url: string): SourceFamily {
  const text = url.trim();
  if (text === '') return 'other';
  if (/^hf:/i.test(text) || HUGGING_FACE_HOSTS.test(hostOf(text))) return 'huggingface';
  if (/^civitai:/i.test(text) || /^urn:air:.*:civitai:/i.test(text)) return 'civitai';
  if (CIVITAI_HOSTS.test(hostOf(text))) return 'civitai';
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text) && BARE_REPO_ID.test(text)) return 'huggingface';
  return 'other';
}

/** The family of a preview's `kind`, when the server has told. */
export function familyOfKind(kind: string): SourceFamily {
  return kind === 'huggingface' ? 'huggingface' : kind === 'civitai' ? 'civitai' : 'other';
}

function civitaiChoice(fields: CivitaiFields): CivitaiFileChoice | undefined {
  const choice: CivitaiFileChoice = {};
  for (const key of ['type', 'format', 'size', 'fp', 'quantType'] as const) {
    const value = fields[key].trim();
    if (value) choice[key] = value;
  }
  if (typeof fields.fileId === 'number' && Number.isFinite(fields.fileId))
    choice.fileId = fields.fileId;
  return Object.keys(choice).length > 0 ? choice : undefined;
}

/** The request, built in a fixed key order so that equal requests serialise to equal keys. */
export function buildResolveInput(fields: DownloadFields, family: SourceFamily): ResolveInput {
  const input: ResolveInput = { url: fields.url.trim() };
  if (fields.folder.trim()) input.folder = fields.folder.trim();
  if (fields.filename.trim()) input.filename = fields.filename.trim();
  if (fields.sha256.trim()) input.sha256 = fields.sha256.trim();
  if (family === 'huggingface') {
    if (fields.revision.trim()) input.revision = fields.revision.trim();
    const include = splitPatterns(fields.include);
    if (include.length > 0) input.include = include;
    const exclude = splitPatterns(fields.exclude);
    if (exclude.length > 0) input.exclude = exclude;
    if (fields.layout) input.layout = fields.layout;
  }
  if (family === 'civitai') {
    const choice = civitaiChoice(fields.civitai);
    if (choice) input.civitaiFile = choice;
  }
  return input;
}

/** Identifies a request: a preview answers the question only while the key is unchanged. */
export function requestKey(input: ResolveInput): string {
  return JSON.stringify(input);
}

/**
 * The form after a download was queued: every option is reset, so the next link pasted does not
 * silently inherit a folder, a name or a hash chosen for the last one.
 */
export function fieldsForNextDownload(_fields: DownloadFields): DownloadFields {
  return emptyFields();
}

/** How many options are set: shown on the folded Options so a set one is never forgotten. */
export function optionsSetCount(
  fields: DownloadFields,
  priority: number | null | undefined,
): number {
  const texts = [
    fields.folder,
    fields.filename,
    fields.sha256,
    fields.revision,
    fields.include,
    fields.exclude,
    fields.layout,
    fields.civitai.type,
    fields.civitai.format,
    fields.civitai.size,
    fields.civitai.fp,
    fields.civitai.quantType,
  ];
  let count = texts.filter((text) => text.trim() !== '').length;
  if (typeof fields.civitai.fileId === 'number' && Number.isFinite(fields.civitai.fileId)) count++;
  if (typeof priority === 'number' && Number.isFinite(priority)) count++;
  return count;
}
