/** What the page asks about sources: previews of a pasted link, and the preset catalog. */
import { api } from '../../api/trpc-client';
import { attempt } from '../../api/outcome';
import type { Outcome } from '../../api/outcome';
import { fetchJobIntoList } from '../job-actions';
import type {
  DownloadPresetResult,
  PresetView,
  ResolveInput,
  SourcePreview,
} from '../../api/types';

/** What a download of `input` would fetch; starts and writes nothing. */
export function previewSource(
  input: ResolveInput,
  signal?: AbortSignal,
): Promise<Outcome<SourcePreview>> {
  return attempt(() => api.sources.resolve.query(input, { signal }));
}

export async function listPresets(): Promise<Outcome<PresetView[]>> {
  const outcome = await attempt(() => api.sources.presets.query());
  return outcome.ok ? { ok: true, value: outcome.value.items } : outcome;
}

/** One bundle job for the preset's missing files. */
export async function downloadPreset(presetId: string): Promise<Outcome<DownloadPresetResult>> {
  const outcome = await attempt(() => api.sources.downloadPreset.mutate({ presetId }));
  if (outcome.ok) fetchJobIntoList(outcome.value.jobId);
  return outcome;
}
