/** Placement: which folder under the models root a file goes to (folder-table.ts is the table). */
export {
  CLASS_FOLDERS,
  CIVITAI_FILE_TYPES,
  CIVITAI_MODEL_TYPES,
  COMFYUI_FOLDERS,
  HF_PATH_HINTS,
  LEGACY_FOLDER_NAMES,
  folderTableRows,
  unplacedCivitaiTypes,
} from './folder-table';
export type { ComfyFolder, FolderTableRow } from './folder-table';
export {
  authoritativePathDecision,
  chosenFolder,
  civitaiClassification,
  civitaiFolderDecision,
  decideFolder,
  decisionForClass,
  normaliseComfyFolder,
  pathHint,
} from './choose-folder';
export type { FolderDecision } from './choose-folder';
export { fileRole, isWeightFile, quantisationOf } from './file-roles';
export type { FileRole } from './file-roles';
export { placementMismatchWarning } from './placement-check';
