/**
 * The workflows domain's face: `analyze` (what a ComfyUI workflow loads, present or missing, with
 * candidates) and `downloadMissing` (one bundle job fetching each missing model that has a usable
 * candidate into the folder and under the name the workflow loads; files already on disk with the
 * expected SHA-256 are placed instead of downloaded).
 */
import path from 'node:path';
import type { BundleItem } from '../jobs/download-manager-api';
import { bundleInput } from '../sources/bundle/bundle-resolver';
import { analyzeWorkflow } from './workflow-analysis';
import type { WorkflowAnalysis, WorkflowModel } from './workflow-analysis';
import type { WorkflowPorts } from './workflow-ports';

export interface DownloadMissingResult {
  /** The bundle job; null when nothing missing could be fetched. */
  jobId: string | null;
  /** Paths the job fetches. */
  fetching: string[];
  /** Missing models left out: no candidate, or every candidate refused. */
  unresolved: Array<{ path: string; reason: string }>;
}

export interface Workflows {
  analyze(request: { workflow: unknown }): Promise<WorkflowAnalysis>;
  downloadMissing(request: { workflow: unknown }): Promise<DownloadMissingResult>;
}

function itemFor(model: WorkflowModel): BundleItem | null {
  const candidate = model.candidates.find((item) => item.access !== 'denied');
  if (!candidate) return null;
  return {
    input: candidate.url,
    folder: path.posix.dirname(model.path),
    filename: path.posix.basename(model.path),
    ...(candidate.sha256 ? { sha256: candidate.sha256 } : {}),
  };
}

export function createWorkflows(ports: WorkflowPorts): Workflows {
  return {
    analyze: (request) => analyzeWorkflow(ports, request.workflow),
    async downloadMissing(request) {
      const analysis = await analyzeWorkflow(ports, request.workflow);
      const items: BundleItem[] = [];
      const fetching: string[] = [];
      const unresolved: DownloadMissingResult['unresolved'] = [];
      for (const model of analysis.models) {
        if (model.status !== 'missing') continue;
        const item = itemFor(model);
        if (item) {
          items.push(item);
          fetching.push(model.path);
        } else {
          const problem = model.candidates.find((candidate) => candidate.problem)?.problem;
          unresolved.push({
            path: model.path,
            reason: problem
              ? problem.message
              : 'No download link or known SHA-256: search for it and add it yourself',
          });
        }
      }
      if (items.length === 0) return { jobId: null, fetching, unresolved };
      const { jobId } = await ports.enqueue({
        url: bundleInput('workflow'),
        bundle: items,
        reuseExisting: true,
      });
      ports.logger.info(
        { jobId, files: items.length, unresolved: unresolved.length },
        'downloading the models a workflow is missing',
      );
      return { jobId, fetching, unresolved };
    },
  };
}
