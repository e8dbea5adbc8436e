/**
 * `preset:<id>` → one multi-file job (kind 'bundle') with every file of the preset pinned to its
 * commit. The preset decides files and folders, so file-choosing fields are refused rather than
 * silently ignored.
 */
import type { EnqueueRequest } from '../../download-request';
import type { ResolveContext, ResolvedFile, ResolvedSource, SourceResolver } from '../source-resolver';
import { ModeldockError } from '../../errors';
import { unrecognisedInputError } from '../accepted-inputs';
import { pickleWarning } from '../pickle-warning';
import type { HuggingFaceResolver } from '../huggingface/huggingface-resolver';
import { PRESETS, findPreset } from './catalog';
import type { Preset } from './catalog';
import { presetFileDestination } from './preset-destinations';

const PRESET_INPUT = /^preset:(.*)$/i;
const FIELDS_PRESETS_DECIDE = [
  'folder',
  'filename',
  'sha256',
  'revision',
  'include',
  'exclude',
  'civitaiFile',
  'layout',
] as const;

export function presetIdOf(input: string): string | null {
  const match = PRESET_INPUT.exec(input.trim());
  return match ? match[1]!.trim() : null;
}

export function createPresetResolver(
  huggingFace: HuggingFaceResolver,
  catalog: readonly Preset[] = PRESETS,
): SourceResolver {
  /** The preset a request names, with no field a preset decides itself; throws otherwise. */
  function checkRequest(request: EnqueueRequest): Preset {
    const id = presetIdOf(request.url) ?? '';
    const preset = findPreset(id, catalog);
    if (!preset) {
      throw unrecognisedInputError(
        request.url,
        `there is no preset "${id.slice(0, 60)}"; presets: ${catalog.map((item) => `preset:${item.id}`).join(', ')}`,
      );
    }
    for (const field of FIELDS_PRESETS_DECIDE) {
      const value = request[field];
      // The job layer hands '' for a folder nobody chose; 'comfyui' is the layout a preset uses anyway.
      if (value !== undefined && value !== '' && !(field === 'layout' && value === 'comfyui')) {
        throw new ModeldockError(
          'INVALID_INPUT',
          `A preset chooses its own files and folders: leave "${field}" out of a preset:${preset.id} download`,
        );
      }
    }
    return preset;
  }

  async function resolve(
    request: EnqueueRequest,
    context: ResolveContext,
  ): Promise<ResolvedSource> {
    const preset = checkRequest(request);
    const files: ResolvedFile[] = [];
    const warnings: string[] = [];
    // One after the other: three HEAD requests are quick, and the Hub's rate limit is per caller.
    for (const file of preset.files) {
      const resolved = await huggingFace.resolveFile(
        { repoType: file.repoType, repoId: file.repoId, revision: file.revision, path: file.path },
        context,
      );
      const relativePath = presetFileDestination(file);
      files.push({
        url: resolved.url,
        name: relativePath.slice(relativePath.lastIndexOf('/') + 1),
        relativePath,
        bytesTotal: resolved.size ?? file.bytes ?? null,
        expectedSha256: resolved.sha256,
        credential: 'huggingface',
        revision: resolved.commit,
        access: 'ok',
      });
      const warning = pickleWarning(file.path);
      if (warning) warnings.push(warning);
    }
    return {
      kind: 'bundle',
      source: `preset:${preset.id}`,
      files,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  return {
    kind: 'bundle',
    accepts: (input: string) => presetIdOf(input) !== null,
    checkInput: (request: EnqueueRequest) => void checkRequest(request),
    resolve,
  };
}
