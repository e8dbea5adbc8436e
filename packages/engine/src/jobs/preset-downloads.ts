/**
 * Presets as the API shows them (`sources.presets`: which files of each are on disk, from the disk
 * alone) and as a download (`sources.downloadPreset`: one bundle job through `preset:<id>`, in which
 * files already present are checked and kept rather than fetched again).
 */
import { ModeldockError } from '../errors';
import { PRESETS, findPreset } from '../sources/presets/catalog';
import type { Preset } from '../sources/presets/catalog';
import { presetStatus } from '../sources/presets/preset-status';
import { formatHfSource } from '../sources/huggingface/hf-job-source';
import type { EnqueueRequest, PresetFileView, PresetView } from './download-manager-api';
import type { ManagerContext } from './manager-context';

function sourceOf(file: Preset['files'][number]): string {
  return formatHfSource(file.repoType ?? 'model', file.repoId, file.revision ?? 'main', {
    filePath: file.path,
    folderPath: null,
    include: [],
    exclude: [],
  });
}

export async function presetViews(
  ctx: Pick<ManagerContext, 'fs' | 'modelsRoot'>,
): Promise<PresetView[]> {
  const views: PresetView[] = [];
  for (const preset of PRESETS) {
    const status = await presetStatus(preset, ctx.fs, ctx.modelsRoot);
    const files: PresetFileView[] = status.files.map((file, index) => ({
      name: file.name,
      relativePath: file.relativePath,
      source: sourceOf(preset.files[index]!),
      status: file.state,
      bytesOnDisk: file.size,
      bytesTotal: file.expectedBytes ?? (file.state === 'present' ? file.size : null),
    }));
    views.push({
      id: preset.id,
      name: preset.title,
      description: preset.description,
      status: status.state,
      files,
    });
  }
  return views;
}

/** The enqueue request that downloads a preset; an unknown id is INVALID_INPUT naming the known ones. */
export function presetDownloadRequest(
  presetId: string,
  priority: number | undefined,
): EnqueueRequest {
  const preset = typeof presetId === 'string' ? findPreset(presetId) : null;
  if (!preset) {
    throw new ModeldockError(
      'INVALID_INPUT',
      `There is no preset "${String(presetId).slice(0, 60)}": choose one of ${PRESETS.map((item) => item.id).join(', ')}`,
    );
  }
  return { url: `preset:${preset.id}`, ...(priority === undefined ? {} : { priority }) };
}
