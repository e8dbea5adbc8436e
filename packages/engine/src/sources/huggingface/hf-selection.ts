/**
 * Which files of a repository (or folder) a download takes when the user did not tick them one by
 * one: weights, never documentation (README.md, .gitattributes, images); loader files (config.json,
 * tokenizers) only in the Hugging Face cache layout or with a diffusers folder that needs them.
 * Several GGUF files are alternative quantisations: none is taken until one is chosen.
 */
import type { DestinationLayout } from '../../download-request';
import { fileRole, quantisationOf } from '../../placement/file-roles';
import type { FileRole } from '../../placement/file-roles';
import type { HfRepoFile } from './hf-repo-listing';

export interface HfListedFile extends HfRepoFile {
  role: FileRole;
  /** GGUF quantisation ("Q8_0") when the file is one of several alternatives. */
  group: string | null;
  /** Part of a diffusers layout (model_index.json and its component folders): kept together. */
  diffusersComponent: boolean;
  /** Taken by default. */
  selected: boolean;
}

export interface HfDefaultSelection {
  files: HfListedFile[];
  /** Set when a program must choose (several quantisations): the message lists them. */
  choiceRequired: string | null;
}

const MAX_LISTED_NAMES = 12;

export function listNames(paths: string[]): string {
  const shown = paths.slice(0, MAX_LISTED_NAMES).join(', ');
  return paths.length > MAX_LISTED_NAMES ? `${shown}, … (${paths.length} in all)` : shown;
}

/** Folders of a diffusers repository that hold a component (they have their own config files). */
function diffusersFolders(files: HfRepoFile[]): Set<string> | null {
  if (
    !files.some(
      (file) => file.path === 'model_index.json' || file.path.endsWith('/model_index.json'),
    )
  )
    return null;
  const folders = new Set<string>();
  for (const file of files) {
    const slash = file.path.indexOf('/');
    if (slash > 0 && /\.(json|txt|model)$/i.test(file.path)) folders.add(file.path.slice(0, slash));
  }
  return folders;
}

export function defaultHfSelection(
  files: HfRepoFile[],
  options: {
    layout: DestinationLayout;
    repoId: string;
    patternsGiven: boolean;
    wholeListing?: HfRepoFile[];
  },
): HfDefaultSelection {
  // The layout is the repository's, even when patterns leave model_index.json out.
  const components = diffusersFolders(options.wholeListing ?? files);
  const isComponent = (path: string) =>
    components !== null &&
    (path === 'model_index.json' || components.has(path.slice(0, Math.max(0, path.indexOf('/')))));
  const listed: HfListedFile[] = files.map((file) => ({
    ...file,
    role: fileRole(file.path),
    group: null,
    diffusersComponent: isComponent(file.path),
    selected: false,
  }));
  const ggufs = listed.filter(
    (file) => file.role === 'weights' && /\.gguf$/i.test(file.path) && !/mmproj/i.test(file.path),
  );
  const alternatives = ggufs.length > 1;
  if (alternatives) for (const file of ggufs) file.group = quantisationOf(file.path) ?? 'other';

  if (options.patternsGiven) {
    // Patterns are the program's own choice: everything they matched is taken.
    for (const file of listed) file.selected = true;
  } else if (options.layout === 'hf-cache') {
    for (const file of listed)
      file.selected = file.role !== 'documentation' && !(alternatives && file.group !== null);
  } else {
    const standalone = listed.filter((file) => file.role === 'weights' && !file.diffusersComponent);
    if (standalone.length === 0 && components !== null) {
      // A diffusers-only repository: the whole folder, configs included, for the Diffusers loader.
      for (const file of listed)
        file.selected = file.diffusersComponent && file.role !== 'documentation';
    } else {
      for (const file of standalone) file.selected = !(alternatives && file.group !== null);
    }
  }
  const choiceRequired =
    alternatives && !options.patternsGiven
      ? `${options.repoId} holds ${ggufs.length} GGUF files, usually alternative quantisations: choose one with include, e.g. ["*Q8_0.gguf"] or hf://${options.repoId}/*Q8_0.gguf (${listNames(ggufs.map((file) => file.path))})`
      : null;
  return { files: listed, choiceRequired };
}
