/** The metadata domain's public face: hub lookups, normalised metadata, sidecars, previews, updates. */
export type * from './metadata-model';
export { EMPTY_FIELDS } from './metadata-model';
export { createMetadataHubs } from './hubs/metadata-hubs';
export type { MetadataHubs, MetadataHubsOptions } from './hubs/metadata-hubs';
export { createPlatformPacer, METADATA_RETRY } from './hubs/platform-pacer';
export type { PacerWait, PlatformPacer, PlatformPacerOptions } from './hubs/platform-pacer';
export { createCivitaiMetadataClient, CIVITAI_BATCH_SIZE } from './hubs/civitai-metadata-client';
export type { CivitaiMetadataClient, CivitaiCallOptions } from './hubs/civitai-metadata-client';
export { readCivitaiModel, readCivitaiVersion, fileOfVersion } from './hubs/civitai-records';
export type { CivitaiImage, CivitaiModelRecord, CivitaiVersionFile, CivitaiVersionRecord } from './hubs/civitai-records';
export { createHfModelInfoClient, readHfModelInfo } from './hubs/hf-model-info';
export type { HfModelInfo, HfModelInfoClient, HfSiblingInfo } from './hubs/hf-model-info';
export { sanitiseDescription, descriptionText } from './normalise/sanitise-description';
export { fromCivitai, civitaiModelPageUrl, NOT_ON_CIVITAI } from './normalise/from-civitai';
export { fromHuggingFace } from './normalise/from-huggingface';
export { mergeMetadata } from './normalise/merge-metadata';
export type { FileFallback } from './normalise/merge-metadata';
