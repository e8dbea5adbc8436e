/**
 * Reads what a user pasted for Civitai:
 * - model pages: `https://civitai.com/models/123[/slug][?modelVersionId=456]`, `/model-versions/456`;
 * - download links: `/api/download/models/456[?type=&format=&size=&fp=&fileId=]` (a `token` in the
 *   link is dropped: the key comes from Settings and never sits in a stored URL);
 * - API links: `/api/v1/models/123`, `/api/v1/model-versions/456`;
 * - AIR: `urn:air:sdxl:checkpoint:civitai:123@456` (the version is optional; `.safetensors` at the
 *   end picks the format);
 * - compact: `civitai:123` (a model, its latest version), `civitai:123@456`, `civitai:version/456`.
 * A bare number is AMBIGUOUS_INPUT: Civitai model and version ids look the same.
 */
import { ModeldockError } from '../../errors';
import type { CivitaiFileChoice } from '../../download-request';
import { unrecognisedInputError } from '../accepted-inputs';

export interface CivitaiTarget {
  modelId: number | null;
  versionId: number | null;
  /** File filters carried by the input (download link parameters, AIR format). */
  fileChoice: CivitaiFileChoice;
}

const CIVITAI_HOSTS = new Set(['civitai.com', 'www.civitai.com', 'civitai.green', 'www.civitai.green', 'civitai.red']);
const AIR = /^urn:air:[a-z0-9_.+-]+:[a-z0-9_.+-]+:civitai:(\d+)(?:@(\d+))?(?::[^.]*)?(?:\.([a-z0-9]+))?$/i;
const AIR_FORMATS: Record<string, string> = {
  safetensors: 'SafeTensor',
  ckpt: 'PickleTensor',
  pt: 'PickleTensor',
  gguf: 'GGUF',
  onnx: 'ONNX',
  zip: 'Diffusers',
};

function parseId(text: string | null | undefined, what: string): number {
  if (!text || !/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2_147_483_647) {
    throw new ModeldockError('INVALID_INPUT', `"${(text ?? '').slice(0, 40)}" is not a valid Civitai ${what} id`);
  }
  return Number(text);
}

function hostOf(endpoint: string): string {
  return new URL(endpoint).host.toLowerCase();
}

export function looksLikeCivitai(input: string, endpoint: string): boolean {
  const text = input.trim();
  if (/^civitai:/i.test(text) || AIR.test(text) || /^\d+$/.test(text)) return true;
  const hosts = new Set([...CIVITAI_HOSTS, hostOf(endpoint)]);
  const host = text.replace(/^https?:\/\//i, '').split(/[/?#]/, 1)[0]!.toLowerCase();
  return hosts.has(host) && (/^https?:\/\//i.test(text) || text.length > host.length);
}

function choiceFromQuery(params: URLSearchParams): CivitaiFileChoice {
  const choice: CivitaiFileChoice = {};
  for (const key of ['type', 'format', 'size', 'fp', 'quantType'] as const) {
    const value = params.get(key);
    if (value) choice[key] = value;
  }
  const fileId = params.get('fileId');
  if (fileId) choice.fileId = parseId(fileId, 'file');
  return choice;
}

function parseLink(url: URL, original: string): CivitaiTarget {
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const path = segments.join('/');
  const none: CivitaiTarget = { modelId: null, versionId: null, fileChoice: {} };
  let match: RegExpExecArray | null;
  if ((match = /^models\/([^/]+)(?:\/.*)?$/.exec(path))) {
    const versionParam = url.searchParams.get('modelVersionId');
    return { ...none, modelId: parseId(match[1], 'model'), versionId: versionParam ? parseId(versionParam, 'model version') : null };
  }
  if ((match = /^model-versions\/([^/]+)$/.exec(path))) return { ...none, versionId: parseId(match[1], 'model version') };
  if ((match = /^api\/download\/models\/([^/]+)$/.exec(path))) {
    return { ...none, versionId: parseId(match[1], 'model version'), fileChoice: choiceFromQuery(url.searchParams) };
  }
  if ((match = /^api\/v1\/models\/([^/]+)$/.exec(path))) return { ...none, modelId: parseId(match[1], 'model') };
  if ((match = /^api\/v1\/model-versions\/([^/]+)$/.exec(path))) return { ...none, versionId: parseId(match[1], 'model version') };
  throw unrecognisedInputError(original, 'this Civitai page is not a model: paste the model page, e.g. https://civitai.com/models/123');
}

export function parseCivitaiInput(input: string, endpoint: string): CivitaiTarget {
  const text = input.trim();
  if (/^\d+$/.test(text)) {
    throw new ModeldockError(
      'AMBIGUOUS_INPUT',
      `Is ${text} a Civitai model id or a model version id? Paste civitai:${text} for the model's latest version, civitai:version/${text} for a version, or the model page link such as https://civitai.com/models/${text}`,
    );
  }
  const air = AIR.exec(text);
  if (air) {
    const format = air[3] ? AIR_FORMATS[air[3].toLowerCase()] : undefined;
    return {
      modelId: parseId(air[1], 'model'),
      versionId: air[2] ? parseId(air[2], 'model version') : null,
      fileChoice: format ? { format } : {},
    };
  }
  const compact = /^civitai:(.*)$/i.exec(text);
  if (compact) {
    const body = compact[1]!.trim();
    let match: RegExpExecArray | null;
    if ((match = /^(?:version|model-version|v)\/(\d+)$/i.exec(body))) return { modelId: null, versionId: parseId(match[1], 'model version'), fileChoice: {} };
    if ((match = /^(?:model\/)?(\d+)(?:@(\d+))?$/i.exec(body))) {
      return { modelId: parseId(match[1], 'model'), versionId: match[2] ? parseId(match[2], 'model version') : null, fileChoice: {} };
    }
    throw unrecognisedInputError(input, 'Civitai ids are written civitai:123 (a model), civitai:123@456 or civitai:version/456');
  }
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw unrecognisedInputError(input, 'the link is not a valid URL');
  }
  const host = url.host.toLowerCase();
  if (!CIVITAI_HOSTS.has(host) && host !== hostOf(endpoint)) throw unrecognisedInputError(input);
  return parseLink(url, input);
}

/** What the job list shows: the input with any `token` parameter removed, not just masked. */
export function civitaiSourceLabel(input: string): string {
  const text = input.trim();
  if (!/^https?:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    for (const name of [...url.searchParams.keys()]) {
      if (/^(token|api_?key|key)$/i.test(name)) url.searchParams.delete(name);
    }
    return url.toString();
  } catch {
    return text;
  }
}
