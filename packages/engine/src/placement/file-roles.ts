/** What a repository file is for: model weights, a file a loader reads beside them, or documentation. */
import { DOCUMENTATION_FILE, LOADER_FILE } from './folder-table';

export type FileRole = 'weights' | 'loader' | 'documentation' | 'other';

/** Extensions ComfyUI loads as model weights, plus GGUF (ComfyUI-GGUF) and ONNX. */
const WEIGHT_EXTENSIONS = /\.(safetensors|sft|ckpt|pt|pt2|pth|bin|pkl|gguf|onnx)$/i;

export function isWeightFile(path: string): boolean {
  return WEIGHT_EXTENSIONS.test(path);
}

export function fileRole(path: string): FileRole {
  if (isWeightFile(path)) return 'weights';
  if (LOADER_FILE.test(path) && !/(^|\/)readme/i.test(path)) return 'loader';
  if (DOCUMENTATION_FILE.test(path)) return 'documentation';
  return 'other';
}

/** GGUF quantisation in a file name ("Q8_0", "Q4_K_M", "IQ3_XXS", "BF16"), or null. */
export function quantisationOf(path: string): string | null {
  if (!/\.gguf$/i.test(path)) return null;
  const match = /(?:^|[-_.])((?:I?Q\d+(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=[-_.])/i.exec(
    path.slice(path.lastIndexOf('/') + 1),
  );
  return match ? match[1]!.toUpperCase() : null;
}
