/**
 * Where a file lands, decided in one order everywhere: the folder the user chose; else what the
 * source says with authority (a Civitai type, a Comfy-Org `split_files/<folder>/` path); else the
 * file's own header; else a path or name hint; else nobody knows and the user is asked (the
 * decision's folder is null). Never the models root.
 */
import { normaliseFolder } from '../paths/confine-path';
import { classifyByName } from '../model-format/classify-by-name';
import type {
  ClassificationBasis,
  ModelClass,
  ModelClassification,
} from '../model-format/model-class';
import {
  CIVITAI_FILE_TYPES,
  CIVITAI_MODEL_TYPES,
  CLASS_FOLDERS,
  COMFYUI_FOLDERS,
  HF_PATH_HINTS,
  LEGACY_FOLDER_NAMES,
} from './folder-table';

export interface FolderDecision {
  /** Folder under the models root, or null when the user must choose one. */
  folder: string | null;
  modelClass: ModelClass | null;
  /** 'user' when the user chose the folder. */
  basis: ClassificationBasis | 'user' | null;
  /** One line saying why ("tensor names double_blocks.*: a Flux diffusion model"). */
  evidence: string;
}

/** A folder as given by a user or a workflow, legacy names (`unet`, `clip`) mapped to today's. */
export function normaliseComfyFolder(folder: string | null | undefined): string {
  const normalised = normaliseFolder(folder);
  const [first, ...rest] = normalised.split('/');
  const current = LEGACY_FOLDER_NAMES[first!.toLowerCase()];
  return current ? [current, ...rest].join('/') : normalised;
}

/**
 * The folder the user chose, normalised, or null to let the source place the file. An empty folder
 * is no choice: the job layer hands resolvers '' when the request had none.
 */
export function chosenFolder(folder: string | undefined | null): string | null {
  const normalised = normaliseComfyFolder(folder);
  return normalised === '' ? null : normalised;
}

export function decisionForClass(classification: ModelClassification): FolderDecision {
  const { modelClass, basis, evidence } = classification;
  return { folder: modelClass ? CLASS_FOLDERS[modelClass] : null, modelClass, basis, evidence };
}

function key(value: string | null | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

/**
 * What Civitai's own types say: the file type when it names a kind (a checkpoint's VAE file is a
 * VAE), else the model type. A GGUF "checkpoint" is a bare diffusion model (ComfyUI-GGUF loads it
 * from diffusion_models/); a detector whose name says "seg" is a segmentation detector. Null when
 * the types name no folder anything reads (Poses, Wildcards, Other, training data).
 */
export function civitaiClassification(
  modelType: string | null,
  fileType: string | null,
  format: string | null,
  fileName: string,
): ModelClassification {
  const fileKey = key(fileType);
  const typeKey = key(modelType).replace(/\s+/g, '');
  const said = `Civitai type ${modelType ?? 'unknown'}${fileType ? ` / file type ${fileType}` : ''}`;
  let modelClass: ModelClass | null | undefined =
    fileKey in CIVITAI_FILE_TYPES ? CIVITAI_FILE_TYPES[fileKey] : undefined;
  if (modelClass === undefined)
    modelClass = typeKey in CIVITAI_MODEL_TYPES ? CIVITAI_MODEL_TYPES[typeKey] : null;
  if (modelClass === 'checkpoint' && key(format) === 'gguf') modelClass = 'diffusion_model';
  if (modelClass === 'detector_bbox' && classifyByName(fileName).modelClass === 'detector_segm')
    modelClass = 'detector_segm';
  return modelClass
    ? { modelClass, basis: 'source', evidence: said }
    : {
        modelClass: null,
        basis: null,
        evidence: `${said}: no folder ComfyUI reads is meant for it`,
      };
}

export function civitaiFolderDecision(
  modelType: string | null,
  fileType: string | null,
  format: string | null,
  fileName: string,
): FolderDecision {
  return decisionForClass(civitaiClassification(modelType, fileType, format, fileName));
}

const KNOWN_FOLDERS = new Set(COMFYUI_FOLDERS.map((entry) => entry.folder.split('/')[0]!));
const CLASS_BY_FOLDER = new Map(
  Object.entries(CLASS_FOLDERS).map(([modelClass, folder]) => [folder, modelClass as ModelClass]),
);

/** `split_files/<folder>/…` (Comfy-Org's repackaged repositories): the path names the folder itself. */
export function authoritativePathDecision(repoPath: string): FolderDecision | null {
  const match = /(^|\/)split_files\/([^/]+)\//.exec(repoPath);
  if (!match) return null;
  const folder = normaliseComfyFolder(match[2]!);
  if (!KNOWN_FOLDERS.has(folder.split('/')[0]!)) return null;
  const modelClass = CLASS_BY_FOLDER.get(folder) ?? null;
  return {
    folder,
    modelClass,
    basis: 'source',
    evidence: `repository path split_files/${match[2]}/`,
  };
}

/** A diffusers component folder in the path (`vae/`, `text_encoder/`, `transformer/`): a hint only. */
export function pathHint(repoPath: string): ModelClassification | null {
  const segments = repoPath.split('/').slice(0, -1);
  for (let index = segments.length - 1; index >= 0; index--) {
    const segment = segments[index]!.toLowerCase();
    const folder = LEGACY_FOLDER_NAMES[segment] ?? segment;
    const modelClass = HF_PATH_HINTS[segment] ?? CLASS_BY_FOLDER.get(folder);
    if (modelClass)
      return { modelClass, basis: 'path', evidence: `repository folder ${segments[index]}/` };
  }
  return null;
}

/**
 * The one decision: user > authoritative source > header > path hint > name > ask. `header` is a
 * probe's classification (which already fell back to the name when the bytes could not tell).
 */
export function decideFolder(input: {
  fileName: string;
  repoPath?: string;
  userFolder?: string | null;
  authoritative?: FolderDecision | null;
  header?: ModelClassification | null;
}): FolderDecision {
  const classification = input.header ?? null;
  const fromHeader = classification?.basis === 'header' ? classification : null;
  const hint = input.repoPath ? pathHint(input.repoPath) : null;
  const byName =
    classification && classification.basis !== 'header'
      ? classification
      : classifyByName(input.fileName);
  const known =
    (input.authoritative?.folder ? input.authoritative : null) ??
    decisionFor(fromHeader) ??
    decisionFor(hint) ??
    decisionFor(byName);
  const fallback: FolderDecision = known ?? {
    folder: null,
    modelClass: null,
    basis: null,
    evidence: input.authoritative?.evidence ?? byName.evidence,
  };
  const user = chosenFolder(input.userFolder);
  return user ? { ...fallback, folder: user, basis: 'user' } : fallback;
}

function decisionFor(classification: ModelClassification | null): FolderDecision | null {
  return classification?.modelClass ? decisionForClass(classification) : null;
}
