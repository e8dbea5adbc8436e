/** Where a preset's file lands: its ComfyUI folder and its (sanitised) name, confined to the root. */
import { relativeDestination } from '../../paths/confine-path';
import type { PresetFile } from './catalog';

export function presetFileDestination(file: PresetFile): string {
  return relativeDestination(file.folder, file.filename ?? file.path.slice(file.path.lastIndexOf('/') + 1));
}
