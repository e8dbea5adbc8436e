/**
 * Pickle-based model files (.ckpt, .pt, .pth, .bin, .pkl) can run arbitrary code when loaded; the
 * user is told before downloading one. Safetensors and GGUF hold only data.
 */
const PICKLE_EXTENSIONS = ['.ckpt', '.pt', '.pth', '.bin', '.pkl', '.pt2'];

export function isPickleName(name: string): boolean {
  const lower = name.toLowerCase();
  return PICKLE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** The warning for `name`, or null when it is not a pickle file; `knownPickle` when the source says so (Civitai's PickleTensor). */
export function pickleWarning(name: string, knownPickle = false): string | null {
  if (!knownPickle && !isPickleName(name)) return null;
  const base = name.slice(name.lastIndexOf('/') + 1);
  return `${base} is a pickle file: loading it can run code hidden in it. Prefer a .safetensors version when there is one`;
}
