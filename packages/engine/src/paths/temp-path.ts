/**
 * Partial files live beside their destination under a name no model tool loads, and carry the id
 * of the file record that owns them so orphans can be found after a crash.
 */
import path from 'node:path';

export const TEMP_SUFFIX = '.modeldock-part';

export function tempPathFor(finalPath: string, fileId: string): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${fileId}${TEMP_SUFFIX}`);
}

export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/** The owning file id encoded in a temp file name, or null. */
export function fileIdOfTempName(name: string): string | null {
  if (!isTempFileName(name)) return null;
  const stem = name.slice(0, -TEMP_SUFFIX.length);
  const dot = stem.lastIndexOf('.');
  return dot > 0 ? stem.slice(dot + 1) || null : null;
}
