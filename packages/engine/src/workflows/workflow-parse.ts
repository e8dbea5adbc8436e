/**
 * Reads a ComfyUI workflow (UI format: `nodes`, with subgraphs under `definitions.subgraphs`; or API
 * format: `{ "<id>": { class_type, inputs } }`) into the model files its loader nodes load and the
 * download hints it carries (`models` on a node's `properties` and at the top level). Names that
 * would leave the models folder and hints with a malformed hash are refused, naming the field.
 */
import { checkRelativePath, checkSha256 } from '../collection/manifest-parse';
import { invalidField, readJsonDocument } from '../collection/json-document';
import { LOADER_NODES, currentFolder } from './loader-nodes';

export interface WorkflowHint {
  /** File name the hint gives (may differ from what the node loads). */
  name: string;
  url: string | null;
  /** Current folder name ("unet" read as "diffusion_models"); null when the hint gives none. */
  directory: string | null;
  /** The hint's directory as written, to tell a legacy name. */
  rawDirectory: string | null;
  sha256: string | null;
}

export interface WorkflowModelReference {
  /** What the node loads, relative to its folder ("sub/x.safetensors"), "/" separators. */
  name: string;
  folder: string;
  nodeId: string;
  nodeType: string;
  /** Where in the workflow the name sits, e.g. `nodes[3].widgets_values[0]`. */
  field: string;
  /** Hints on the same node. */
  hints: WorkflowHint[];
}

export interface ParsedWorkflow {
  format: 'ui' | 'api';
  references: WorkflowModelReference[];
  /** Top-level hints (UI format). */
  hints: WorkflowHint[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function parseHints(value: unknown, field: string): WorkflowHint[] {
  if (!Array.isArray(value)) return [];
  const hints: WorkflowHint[] = [];
  value.forEach((raw, index) => {
    const at = `${field}[${index}]`;
    if (!isObject(raw) || typeof raw.name !== 'string' || raw.name === '') return;
    const name = checkRelativePath(raw.name.replace(/\\/g, '/'), `${at}.name`);
    let url: string | null = null;
    if (typeof raw.url === 'string' && raw.url !== '') {
      try {
        const parsed = new URL(raw.url);
        if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
        url = parsed.href;
      } catch {
        throw invalidField(`${at}.url`, 'must be an http(s) link');
      }
    }
    let rawDirectory: string | null = null;
    if (typeof raw.directory === 'string' && raw.directory !== '') {
      rawDirectory = checkRelativePath(raw.directory, `${at}.directory`);
    }
    const hashType = typeof raw.hash_type === 'string' ? raw.hash_type.toLowerCase() : 'sha256';
    const sha256 =
      raw.hash !== undefined && raw.hash !== null && raw.hash !== '' && hashType === 'sha256'
        ? checkSha256(raw.hash, `${at}.hash`, false)
        : null;
    hints.push({
      name,
      url,
      directory: rawDirectory === null ? null : currentFolder(rawDirectory),
      rawDirectory,
      sha256,
    });
  });
  return hints;
}

function referencesOfValue(value: unknown, field: string): string | null {
  if (typeof value !== 'string' || value.trim() === '' || value === 'None') return null;
  return checkRelativePath(value.trim().replace(/\\/g, '/'), field);
}

function uiNodeReferences(node: unknown, field: string): WorkflowModelReference[] {
  if (!isObject(node) || typeof node.type !== 'string') return [];
  const inputs = LOADER_NODES[node.type];
  const hints = isObject(node.properties)
    ? parseHints(node.properties.models, `${field}.properties.models`)
    : [];
  if (!inputs) return [];
  const widgets = node.widgets_values;
  const references: WorkflowModelReference[] = [];
  for (const input of inputs) {
    const keyed = isObject(widgets);
    const value = keyed
      ? widgets[input.name]
      : Array.isArray(widgets)
        ? widgets[input.widget]
        : undefined;
    const at = `${field}.widgets_values${keyed ? `.${input.name}` : `[${input.widget}]`}`;
    const name = referencesOfValue(value, at);
    if (name)
      references.push({
        name,
        folder: input.folder,
        nodeId: String(node.id ?? ''),
        nodeType: node.type,
        field: at,
        hints,
      });
  }
  return references;
}

function parseUi(document: Json): ParsedWorkflow {
  const nodes = document.nodes as unknown[];
  const references = nodes.flatMap((node, index) =>
    uiNodeReferences(node, `workflow.nodes[${index}]`),
  );
  const subgraphs =
    isObject(document.definitions) && Array.isArray(document.definitions.subgraphs)
      ? document.definitions.subgraphs
      : [];
  subgraphs.forEach((subgraph, graphIndex) => {
    if (!isObject(subgraph) || !Array.isArray(subgraph.nodes)) return;
    subgraph.nodes.forEach((node, index) => {
      references.push(
        ...uiNodeReferences(node, `workflow.definitions.subgraphs[${graphIndex}].nodes[${index}]`),
      );
    });
  });
  return { format: 'ui', references, hints: parseHints(document.models, 'workflow.models') };
}

function isApiFormat(document: Json): boolean {
  const values = Object.values(document);
  return (
    values.length > 0 &&
    values.every((value) => isObject(value) && typeof value.class_type === 'string')
  );
}

function parseApi(document: Json): ParsedWorkflow {
  const references: WorkflowModelReference[] = [];
  for (const [id, node] of Object.entries(document)) {
    const { class_type: type, inputs } = node as { class_type: string; inputs?: unknown };
    const loader = LOADER_NODES[type];
    if (!loader || !isObject(inputs)) continue;
    for (const input of loader) {
      const field = `workflow["${id.slice(0, 40)}"].inputs.${input.name}`;
      const name = referencesOfValue(inputs[input.name], field);
      if (name)
        references.push({
          name,
          folder: input.folder,
          nodeId: id,
          nodeType: type,
          field,
          hints: [],
        });
    }
  }
  return { format: 'api', references, hints: [] };
}

/** The workflow's model references and hints; INVALID_INPUT naming the field for anything malformed. */
export function parseWorkflow(input: unknown): ParsedWorkflow {
  const document = readJsonDocument(input, 'workflow');
  if (Array.isArray(document.nodes)) return parseUi(document);
  if (isApiFormat(document)) return parseApi(document);
  throw invalidField(
    'workflow',
    'is not a ComfyUI workflow: it has no "nodes" list (UI format) and is not an API-format prompt ({ "<id>": { "class_type", "inputs" } })',
  );
}
