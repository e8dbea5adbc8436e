/** ComfyUI workflows: the models they load, present or missing, candidates, one bundle download. */
export { createWorkflows } from './workflows';
export type { DownloadMissingResult, Workflows } from './workflows';
export type { WorkflowAnalysis, WorkflowCandidate, WorkflowModel } from './workflow-analysis';
export type { WorkflowPorts } from './workflow-ports';
export { parseWorkflow } from './workflow-parse';
export type { ParsedWorkflow, WorkflowHint, WorkflowModelReference } from './workflow-parse';
export { LOADER_NODES, LEGACY_FOLDERS, currentFolder, foldersRead } from './loader-nodes';
export {
  civitaiNameMatches,
  civitaiTypesFor,
  findByName,
  huggingFaceNameMatches,
  rankRepos,
  searchStem,
} from './workflow-name-search';
export type { NameMatch, NameSearchPorts } from './workflow-name-search';
