/** What the Workflows page asks the server, and the workflow a paste into the add form hands over. */
import { api } from '$lib/api/trpc-client';
import { attempt } from '$lib/api/outcome';
import type { Outcome } from '$lib/api/outcome';
import type { DownloadMissingResult, WorkflowAnalysis } from '$lib/api/types';

export function analyzeWorkflow(workflow: string): Promise<Outcome<WorkflowAnalysis>> {
  return attempt(() => api.workflows.analyze.mutate({ workflow }));
}

export function downloadMissing(workflow: string): Promise<Outcome<DownloadMissingResult>> {
  return attempt(() => api.workflows.downloadMissing.mutate({ workflow }));
}

/** True for text that is a JSON object shaped like a ComfyUI workflow (UI or API format). */
export function looksLikeWorkflow(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return false;
  try {
    const value = JSON.parse(trimmed) as Record<string, unknown>;
    if (Array.isArray(value.nodes)) return true;
    const nodes = Object.values(value);
    return (
      nodes.length > 0 &&
      nodes.every((node) => typeof node === 'object' && node !== null && 'class_type' in node)
    );
  } catch {
    return false;
  }
}

/** A workflow pasted elsewhere (the add form), waiting for the Workflows page to open. */
let handedOver: string | null = null;

export function handOverWorkflow(text: string): void {
  handedOver = text;
}

export function takeHandedOverWorkflow(): string | null {
  const text = handedOver;
  handedOver = null;
  return text;
}
