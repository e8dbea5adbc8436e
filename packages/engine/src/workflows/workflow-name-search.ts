/**
 * Finding a missing workflow model by its file name on Civitai and Hugging Face. A hub's search is
 * fuzzy, so its answers are only leads: a candidate is offered only when a file's own name equals the
 * name the workflow loads (case-insensitive on Civitai, exact base name on Hugging Face) — never a
 * similar name. Each lookup is bounded by a deadline; a hub that fails or is slow yields no candidate
 * (the model then keeps its search links), it never fails the analysis.
 */
import { toModeldockError } from '../errors';
import type { CivitaiModelRecord } from '../metadata/hubs/civitai-records';
import type { HfSiblingInfo } from '../metadata/hubs/hf-model-info';
import type { Clock, Logger } from '../ports';

/** The hub lookups the name search is given (each absent = that hub is not searched). */
export interface NameSearchPorts {
  /** Civitai's models search (`/api/v1/models?query=&types=`). */
  civitaiSearch?: (query: string, types: string[]) => Promise<CivitaiModelRecord[]>;
  /** Hugging Face's model search (`/api/models?search=`): repository ids, best first. */
  huggingFaceSearch?: (query: string) => Promise<string[]>;
  /** A repository's files. */
  huggingFaceFiles?: (repoId: string) => Promise<HfSiblingInfo[]>;
  civitaiEndpoint: string;
  huggingFaceEndpoint?: string;
  /** Times each hub's deadline (injected, so a test moves time instead of waiting). */
  clock: Clock;
  logger: Logger;
}

export interface NameMatch {
  url: string;
  source: 'civitai' | 'huggingface';
  sha256: string | null;
  evidence: string;
}

/** How many Hugging Face repositories' file lists are read per model. */
export const HF_REPOS_CHECKED = 5;
const DEADLINE_MS = 20_000;

/** Civitai's model types for the folders a workflow loads from. */
const CIVITAI_TYPES: Record<string, string[]> = {
  checkpoints: ['Checkpoint'],
  loras: ['LORA', 'LoCon', 'DoRA'],
  vae: ['VAE'],
  embeddings: ['TextualInversion'],
  controlnet: ['Controlnet'],
  upscale_models: ['Upscaler'],
  diffusion_models: ['Checkpoint'],
  unet: ['Checkpoint'],
};

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** The search words for a file name: its base name without the extension. */
export function searchStem(name: string): string {
  return baseName(name).replace(/\.[a-z0-9]{1,12}$/i, '');
}

export function civitaiTypesFor(folder: string): string[] {
  return CIVITAI_TYPES[folder] ?? [];
}

/** Civitai files whose name is the loaded name (case-insensitive), with their download links. */
export function civitaiNameMatches(
  models: CivitaiModelRecord[],
  name: string,
  endpoint: string,
): NameMatch[] {
  const wanted = baseName(name).toLowerCase();
  const matches: NameMatch[] = [];
  for (const model of models) {
    for (const version of model.versions) {
      for (const file of version.files) {
        if (file.id === null || file.name?.toLowerCase() !== wanted) continue;
        matches.push({
          url: `${endpoint}/api/download/models/${version.id}?fileId=${file.id}`,
          source: 'civitai',
          sha256: file.sha256,
          evidence: `file name matches ${model.name ?? `model ${model.id}`} / ${version.name ?? `version ${version.id}`} on Civitai`,
        });
      }
    }
  }
  return matches;
}

/** Official repositories first (Comfy-Org, then the rest in the hub's order). */
export function rankRepos(repoIds: string[]): string[] {
  const official = (id: string) => (id.toLowerCase().startsWith('comfy-org/') ? 0 : 1);
  return [...new Set(repoIds)]
    .map((id, index) => ({ id, index }))
    .sort((a, b) => official(a.id) - official(b.id) || a.index - b.index)
    .map((item) => item.id);
}

/** A repository's files whose base name is exactly the loaded name. */
export function huggingFaceNameMatches(
  repoId: string,
  files: HfSiblingInfo[],
  name: string,
  endpoint = 'https://huggingface.co',
): NameMatch[] {
  const wanted = baseName(name);
  return files
    .filter((file) => baseName(file.path) === wanted)
    .map((file) => ({
      url: `${endpoint}/${repoId}/blob/main/${file.path}`,
      source: 'huggingface' as const,
      sha256: file.lfsSha256,
      evidence: `file name matches ${repoId} / ${file.path} on Hugging Face`,
    }));
}

async function withDeadline<T>(clock: Clock, work: Promise<T>, ms: number): Promise<T> {
  const stop = new AbortController();
  const deadline = clock.sleep(ms, stop.signal).then(() => {
    throw new Error(`no answer within ${ms / 1000} s`);
  });
  // The losing sleep is aborted below; its rejection is expected and must not go unhandled.
  deadline.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    stop.abort();
  }
}

async function civitaiByName(
  ports: NameSearchPorts,
  name: string,
  folder: string,
): Promise<NameMatch[]> {
  if (!ports.civitaiSearch) return [];
  const models = await ports.civitaiSearch(searchStem(name), civitaiTypesFor(folder));
  return civitaiNameMatches(models, name, ports.civitaiEndpoint);
}

async function huggingFaceByName(ports: NameSearchPorts, name: string): Promise<NameMatch[]> {
  if (!ports.huggingFaceSearch || !ports.huggingFaceFiles) return [];
  const repos = rankRepos(await ports.huggingFaceSearch(searchStem(name))).slice(
    0,
    HF_REPOS_CHECKED,
  );
  const matches: NameMatch[] = [];
  for (const repoId of repos) {
    const files = await ports.huggingFaceFiles(repoId);
    matches.push(...huggingFaceNameMatches(repoId, files, name, ports.huggingFaceEndpoint));
  }
  return matches;
}

/** Candidates for a missing model by its file name on both hubs; a failing hub adds none. */
export async function findByName(
  ports: NameSearchPorts,
  name: string,
  folder: string,
  deadlineMs = DEADLINE_MS,
): Promise<NameMatch[]> {
  const lookups = [
    { hub: 'Civitai', run: () => civitaiByName(ports, name, folder) },
    { hub: 'Hugging Face', run: () => huggingFaceByName(ports, name) },
  ];
  const results = await Promise.all(
    lookups.map(async ({ hub, run }) => {
      try {
        return await withDeadline(ports.clock, run(), deadlineMs);
      } catch (error) {
        ports.logger.warn(
          { hub, name, message: toModeldockError(error).message },
          'could not search a hub for a workflow model by file name',
        );
        return [];
      }
    }),
  );
  return results.flat();
}
