/**
 * `workflows.analyze`: every model a workflow loads, present or missing in the library (the same
 * folder — or its legacy name, which ComfyUI also reads — and the same name), and for missing ones
 * the candidates to fetch with their evidence: the workflow's own hints (matched by name, or the
 * loader node's own hint when its name differs: the file is saved under the name the node loads),
 * then Civitai by the hint's SHA-256, then the file name on Civitai and Hugging Face (exact name only). Each candidate is resolved (nothing downloaded) for its source,
 * published SHA-256 and access. Nothing is guessed: a model with no candidate gets search links.
 */
import path from 'node:path';
import { toModeldockError } from '../errors';
import { runWithConcurrency } from '../run-with-concurrency';
import { presentRows } from '../collection/export-manifest';
import { foldersRead } from './loader-nodes';
import { parseWorkflow } from './workflow-parse';
import type { WorkflowHint, WorkflowModelReference } from './workflow-parse';
import type { WorkflowPorts } from './workflow-ports';
import { findByName } from './workflow-name-search';
import type { CivitaiVersionRecord } from '../metadata/hubs/civitai-records';

export interface WorkflowCandidate {
  /** What would be downloaded (a link the resolvers take). */
  url: string;
  /** 'workflow' (its own hint), 'civitai' (by SHA-256 or file name) or 'huggingface' (by file name). */
  source: 'workflow' | 'civitai' | 'huggingface';
  /** The SHA-256 the file is verified against (the hint's, else the one the source publishes). */
  sha256: string | null;
  evidence: string;
  /** 'huggingface', 'civitai', 'direct' once resolved; null when it could not be. */
  resolvedAs: string | null;
  access: 'ok' | 'unknown' | 'denied';
  problem: { code: string; message: string } | null;
}

export interface WorkflowModel {
  /** The name the workflow loads, relative to its folder. */
  name: string;
  folder: string;
  /** Where it is or would be saved, relative to the models root. */
  path: string;
  status: 'present' | 'missing';
  /** Where it was found (its folder may be the legacy one), when present. */
  foundAt: string | null;
  nodes: Array<{ id: string; type: string }>;
  candidates: WorkflowCandidate[];
  /** For a missing model without a candidate: where a person can look. */
  searchUrls: { civitai: string; huggingface: string } | null;
}

export interface WorkflowAnalysis {
  format: 'ui' | 'api';
  models: WorkflowModel[];
}

const PREVIEWS_AT_ONCE = 4;

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function searchUrlsFor(name: string) {
  const stem = baseName(name).replace(/\.[a-z0-9]{1,12}$/i, '');
  return {
    civitai: `https://civitai.com/search/models?query=${encodeURIComponent(stem)}`,
    huggingface: `https://huggingface.co/models?search=${encodeURIComponent(stem)}`,
  };
}

interface Group {
  reference: WorkflowModelReference;
  nodes: Array<{ id: string; type: string }>;
  hints: WorkflowHint[];
}

/** One entry per folder + name, with every node loading it and every hint on those nodes. */
function groupReferences(references: WorkflowModelReference[]): Group[] {
  const groups = new Map<string, Group>();
  for (const reference of references) {
    const key = `${reference.folder}/${reference.name}`;
    const group = groups.get(key) ?? { reference, nodes: [], hints: [] };
    group.nodes.push({ id: reference.nodeId, type: reference.nodeType });
    for (const hint of reference.hints) if (!group.hints.includes(hint)) group.hints.push(hint);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function hintCandidates(
  group: Group,
  topLevel: WorkflowHint[],
  loadedNames: Set<string>,
): WorkflowCandidate[] {
  const { name, folder } = group.reference;
  const sameName = (hint: WorkflowHint) => baseName(hint.name) === baseName(name);
  const folderFits = (hint: WorkflowHint) => hint.directory === null || hint.directory === folder;
  let chosen = [...group.hints.filter(sameName), ...topLevel.filter(sameName)].filter(
    (hint) => hint.url,
  );
  let mismatch = false;
  if (chosen.length === 0) {
    // The loader node's own hint under another name (e.g. renamed by the workflow's author): the node wins.
    chosen = group.hints.filter(
      (hint) => hint.url && folderFits(hint) && !loadedNames.has(baseName(hint.name)),
    );
    mismatch = chosen.length === 1;
    if (!mismatch) chosen = [];
  }
  return chosen.map((hint) => {
    const notes = [`the workflow's own download link for ${hint.name}`];
    if (mismatch) notes.push(`the node loads "${name}", so it is saved under that name`);
    if (hint.rawDirectory && hint.rawDirectory !== hint.directory)
      notes.push(
        `hint folder "${hint.rawDirectory}" is ComfyUI's legacy name of ${hint.directory}`,
      );
    if (hint.sha256) notes.push('with its SHA-256');
    return {
      url: hint.url!,
      source: 'workflow' as const,
      sha256: hint.sha256,
      evidence: notes.join('; '),
      resolvedAs: null,
      access: 'unknown' as const,
      problem: null,
    };
  });
}

async function civitaiCandidates(
  ports: WorkflowPorts,
  hashes: string[],
): Promise<Map<string, WorkflowCandidate>> {
  const found = new Map<string, WorkflowCandidate>();
  if (!ports.civitaiVersionsByHash || hashes.length === 0) return found;
  let versions: Map<string, CivitaiVersionRecord | null>;
  try {
    versions = await ports.civitaiVersionsByHash(hashes);
  } catch (error) {
    ports.logger.warn(
      { message: toModeldockError(error).message },
      'could not look workflow models up on Civitai by SHA-256',
    );
    return found;
  }
  for (const hash of hashes) {
    const version = versions.get(hash);
    const file = version?.files.find((candidate) => candidate.sha256 === hash);
    if (!version || !file || file.id === null) continue;
    found.set(hash, {
      url: `${ports.civitaiEndpoint}/api/download/models/${version.id}?fileId=${file.id}`,
      source: 'civitai',
      sha256: hash,
      evidence:
        `Civitai knows this SHA-256: ${version.model?.name ?? 'model'} ${version.name ?? ''} (version ${version.id}, file ${file.name ?? file.id})`.replace(
          /\s+/g,
          ' ',
        ),
      resolvedAs: null,
      access: 'unknown',
      problem: null,
    });
  }
  return found;
}

/** Resolves a candidate to learn its source, published SHA-256 and access. */
async function checkCandidate(
  ports: WorkflowPorts,
  model: WorkflowModel,
  candidate: WorkflowCandidate,
): Promise<void> {
  const folder = path.posix.dirname(model.path);
  try {
    const preview = await ports.preview({
      url: candidate.url,
      folder,
      filename: baseName(model.path),
      ...(candidate.sha256 ? { sha256: candidate.sha256 } : {}),
    });
    const file = preview.files[0];
    candidate.resolvedAs = preview.kind;
    candidate.sha256 = candidate.sha256 ?? file?.expectedSha256 ?? null;
    candidate.access = preview.accessProblem ? 'denied' : (file?.access ?? 'unknown');
    if (preview.accessProblem)
      candidate.problem = {
        code: preview.accessProblem.code,
        message: preview.accessProblem.message,
      };
    if (file?.expectedSha256 && candidate.source === 'workflow')
      candidate.evidence += `; ${preview.kind === 'huggingface' ? 'Hugging Face' : preview.kind} publishes its SHA-256`;
  } catch (error) {
    const value = toModeldockError(error);
    candidate.access = value.retryable ? 'unknown' : 'denied';
    candidate.problem = { code: value.code, message: value.message };
  }
}

export async function analyzeWorkflow(
  ports: WorkflowPorts,
  workflow: unknown,
): Promise<WorkflowAnalysis> {
  const parsed = parseWorkflow(workflow);
  const groups = groupReferences(parsed.references);
  const loadedNames = new Set(groups.map((group) => baseName(group.reference.name)));
  const present = new Set((await presentRows(ports)).map((row) => row.relativePath));

  const models: WorkflowModel[] = groups.map((group) => {
    const { name, folder } = group.reference;
    const foundAt =
      foldersRead(folder)
        .map((read) => `${read}/${name}`)
        .find((candidate) => present.has(candidate)) ?? null;
    return {
      name,
      folder,
      path: `${folder}/${name}`,
      status: foundAt ? 'present' : 'missing',
      foundAt,
      nodes: group.nodes,
      candidates: foundAt ? [] : hintCandidates(group, parsed.hints, loadedNames),
      searchUrls: null,
    };
  });

  // Hashes the hints give for missing models without a link: Civitai may know them.
  const hashes = new Set<string>();
  groups.forEach((group, index) => {
    const model = models[index]!;
    if (model.status !== 'missing' || model.candidates.some((candidate) => candidate.url)) return;
    for (const hint of [...group.hints, ...parsed.hints]) {
      if (hint.sha256 && baseName(hint.name) === baseName(model.name)) hashes.add(hint.sha256);
    }
  });
  const byHash = await civitaiCandidates(ports, [...hashes]);
  groups.forEach((group, index) => {
    const model = models[index]!;
    if (model.status !== 'missing' || model.candidates.length > 0) return;
    const hint = [...group.hints, ...parsed.hints].find(
      (item) =>
        item.sha256 && byHash.has(item.sha256) && baseName(item.name) === baseName(model.name),
    );
    if (hint) model.candidates.push({ ...byHash.get(hint.sha256!)! });
  });

  // Still nothing: the file name on Civitai and Hugging Face (a file of exactly that name).
  const unfound = models.filter(
    (model) => model.status === 'missing' && model.candidates.length === 0,
  );
  await runWithConcurrency(
    unfound,
    2,
    async (model) => {
      const matches = await findByName(ports, model.name, model.folder);
      for (const match of matches)
        model.candidates.push({ ...match, resolvedAs: null, access: 'unknown', problem: null });
    },
    () => false,
  );

  const checks = models.flatMap((model) =>
    model.candidates.map((candidate) => ({ model, candidate })),
  );
  await runWithConcurrency(
    checks,
    PREVIEWS_AT_ONCE,
    ({ model, candidate }) => checkCandidate(ports, model, candidate),
    () => false,
  );
  for (const model of models) {
    if (model.status === 'missing' && model.candidates.length === 0)
      model.searchUrls = searchUrlsFor(model.name);
  }
  return { format: parsed.format, models };
}
