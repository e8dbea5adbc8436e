/** The sources module's public face: resolvers, the preview, presets, the HF cache hook, key checks. */
export { createHubResolvers, pickResolver, resolveSource } from './resolve-source';
export type { HubResolverOptions, SourcePreview, SourcePreviewFile } from './resolve-source';
export { ACCEPTED_INPUT_EXAMPLES, describeAcceptedInputs, unrecognisedInputError } from './accepted-inputs';
export { createHuggingFaceResolver, DEFAULT_HUB_REQUEST_TIMEOUT_MS } from './huggingface/huggingface-resolver';
export type { HuggingFaceResolver, HuggingFaceResolverOptions, HfResolvedFile } from './huggingface/huggingface-resolver';
export { DEFAULT_HF_ENDPOINT } from './huggingface/hf-urls';
export {
  DEFAULT_HF_CACHE_FOLDER,
  hfCacheEntryFor,
  hfCacheRepoFolder,
  linkHfCacheFile,
  linkHfCacheSnapshot,
} from './huggingface/hf-cache-layout';
export type { HfCacheEntry } from './huggingface/hf-cache-layout';
export { parseHuggingFaceInput } from './huggingface/hf-input';
export type { HfRepoType, HfTarget } from './huggingface/hf-input';
export { createCivitaiResolver, DEFAULT_CIVITAI_ENDPOINT } from './civitai/civitai-resolver';
export type { CivitaiResolverOptions } from './civitai/civitai-resolver';
export { parseCivitaiInput } from './civitai/civitai-input';
export type { CivitaiTarget } from './civitai/civitai-input';
export { PRESETS, findPreset } from './presets/catalog';
export type { Preset, PresetFile } from './presets/catalog';
export { createPresetResolver } from './presets/preset-resolver';
export { presetStatus } from './presets/preset-status';
export type { PresetFileState, PresetFileStatus, PresetStatus } from './presets/preset-status';
export { checkCivitaiKey, checkHuggingFaceToken } from './api-key-check';
export type { ApiKeyCheck, ApiKeyCheckContext, ApiKeyCheckOptions } from './api-key-check';
export { DEFAULT_HUB_RETRY } from './hub-retry';
export type { HubRetryPolicy } from './hub-retry';
export { createBundleResolver, bundleInput, itemRequest, MAX_BUNDLE_ITEMS } from './bundle/bundle-resolver';
