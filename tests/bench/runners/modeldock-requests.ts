/** What modeldock is asked to download, as a user would ask: a direct link with its SHA-256, or a repository. */
import type { EnqueueRequest } from '@modeldock/engine';
import { fileUrlPath } from '../origin/origin-catalog';
import type { OriginReady } from '../origin/origin-catalog';
import type { Scenario, ScenarioShape } from '../scenarios';

/** Where modeldock puts the measured files (under its models root). */
export const BENCH_FOLDER = 'bench';
/** Where the warm-up files go, removed before the measured runs. */
export const WARMUP_FOLDER = 'warmup';

export function enqueueRequestFor(
  shape: ScenarioShape,
  originUrl: string,
  origin: OriginReady,
  folder: string,
): EnqueueRequest {
  if (shape.kind === 'file') {
    const sha256 = origin.sha256[fileUrlPath(shape.file)];
    if (!sha256) throw new Error(`The origin does not serve ${shape.file.path}`);
    return { url: `${originUrl}${fileUrlPath(shape.file)}`, folder, sha256 };
  }
  // Resolved through modeldock's Hugging Face source, pointed at the origin's hub listener.
  return { url: `hf://${shape.repo.id}`, folder };
}

/** The measured request and the warm-up request of a scenario. */
export function scenarioRequests(scenario: Scenario, originUrl: string, origin: OriginReady) {
  return {
    measured: enqueueRequestFor(scenario.shape, originUrl, origin, BENCH_FOLDER),
    warmup: enqueueRequestFor(scenario.warmup, originUrl, origin, WARMUP_FOLDER),
  };
}
