/**
 * After a download: does the folder the file landed in match what its own bytes say it is? A VAE
 * saved in loras/ (because the user chose it, or a source said so) is invisible to Load VAE, so the
 * job says so. Only a header's word counts (a name guess is not evidence enough), and the layouts
 * that keep a repository's own structure (the Hugging Face cache, diffusers folders) are left alone.
 */
import path from 'node:path';
import type { ModelClassification } from '../model-format/model-class';
import { normaliseComfyFolder } from './choose-folder';
import { CLASS_FOLDERS } from './folder-table';

/** Top folders whose files keep their repository's layout rather than ComfyUI's. */
const STRUCTURED_FOLDERS = new Set(['huggingface', 'diffusers']);

/** The folder a header-classified file belongs in, and where it is instead; null when it is where it belongs. */
function misplacement(relativePath: string, classification: ModelClassification): { expected: string; where: string } | null {
  if (classification.basis !== 'header' || !classification.modelClass) return null;
  const expected = CLASS_FOLDERS[classification.modelClass];
  const folder = normaliseComfyFolder(path.posix.dirname(relativePath).replace(/^\.$/, ''));
  if (STRUCTURED_FOLDERS.has(folder.split('/')[0]!.toLowerCase())) return null;
  if (folder === expected || folder.startsWith(`${expected}/`)) return null;
  return { expected, where: folder === '' ? 'the models folder itself' : `${folder}/` };
}

/** A warning for the job when `relativePath` is not in the folder its header's class belongs to. */
export function placementMismatchWarning(
  relativePath: string,
  classification: ModelClassification,
): string | null {
  const wrong = misplacement(relativePath, classification);
  if (!wrong) return null;
  return (
    `${relativePath}: its bytes say it is ${article(classification.modelClass!)} (${classification.evidence}), ` +
    `which ComfyUI reads from ${wrong.expected}/, but it was saved in ${wrong.where}. Move it to ${wrong.expected}/ ` +
    'if a loader does not list it.'
  );
}

/** The same, before the download: the folder the user chose disagrees with what the file's header says. */
export function chosenFolderMismatchWarning(
  relativePath: string,
  classification: ModelClassification,
): string | null {
  const wrong = misplacement(relativePath, classification);
  if (!wrong) return null;
  return (
    `Its bytes say it is ${article(classification.modelClass!)} (${classification.evidence}), which ComfyUI reads ` +
    `from ${wrong.expected}/, not ${wrong.where}: a loader may not list it there.`
  );
}

function article(modelClass: string): string {
  const label = modelClass.replace(/_/g, ' ');
  return `${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}`;
}
