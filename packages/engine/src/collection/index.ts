/** Export and import of a collection (the manifest, its checks, the import plan and bundle job). */
export { createCollection } from './collection';
export type { Collection, ImportResult } from './collection';
export type { CollectionPorts } from './collection-ports';
export type { ImportMissing, ImportPlan, ImportPresent, ImportUnresolved } from './import-plan';
export { bundleItemOf, inputOfSource } from './import-plan';
export { parseManifest, checkRelativePath, checkSha256 } from './manifest-parse';
export { manifestSourceOf } from './export-manifest';
export { readJsonDocument, invalidField } from './json-document';
export * from './manifest-schema';
