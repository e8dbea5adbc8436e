/**
 * The metadata domain's view of the hubs: one pacer per platform shared by every lookup, the
 * Civitai and Hugging Face clients, and the user's keys asked for at request time.
 */
import type { Clock, CredentialProvider, HttpClient, Logger } from '../../ports';
import { normaliseEndpoint } from '../../sources/huggingface/hf-urls';
import { DEFAULT_CIVITAI_ENDPOINT } from '../../sources/civitai/civitai-resolver';
import { DEFAULT_HF_ENDPOINT } from '../../sources/huggingface/hf-urls';
import { createCivitaiMetadataClient } from './civitai-metadata-client';
import type { CivitaiMetadataClient } from './civitai-metadata-client';
import { createHfModelInfoClient } from './hf-model-info';
import type { HfModelInfoClient } from './hf-model-info';
import { createPlatformPacer } from './platform-pacer';
import type { PlatformPacer } from './platform-pacer';
import type { HubRetryPolicy } from '../../sources/hub-retry';

export interface MetadataHubsOptions {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  credentials: CredentialProvider;
  civitaiEndpoint?: string;
  huggingFaceEndpoint?: string;
  /** Requests per second per platform (default 4). */
  requestsPerSecond?: number;
  retry?: Partial<HubRetryPolicy>;
  random?: () => number;
}

export interface MetadataHubs {
  civitai: CivitaiMetadataClient;
  huggingFace: HfModelInfoClient;
  civitaiEndpoint: string;
  huggingFaceEndpoint: string;
  pacers: { civitai: PlatformPacer; huggingFace: PlatformPacer };
}

export function createMetadataHubs(options: MetadataHubsOptions): MetadataHubs {
  const civitaiEndpoint = normaliseEndpoint(options.civitaiEndpoint, DEFAULT_CIVITAI_ENDPOINT);
  const huggingFaceEndpoint = normaliseEndpoint(options.huggingFaceEndpoint, DEFAULT_HF_ENDPOINT);
  const hub = { http: options.http, logger: options.logger };
  const pacerOptions = { clock: options.clock, requestsPerSecond: options.requestsPerSecond, retry: options.retry, random: options.random };
  const civitaiPacer = createPlatformPacer({ platform: 'civitai', ...pacerOptions });
  const hfPacer = createPlatformPacer({ platform: 'huggingface', ...pacerOptions });
  return {
    civitaiEndpoint,
    huggingFaceEndpoint,
    pacers: { civitai: civitaiPacer, huggingFace: hfPacer },
    civitai: createCivitaiMetadataClient({
      hub,
      pacer: civitaiPacer,
      clock: options.clock,
      endpoint: civitaiEndpoint,
      token: () => options.credentials('civitai'),
    }),
    huggingFace: createHfModelInfoClient({
      hub,
      pacer: hfPacer,
      clock: options.clock,
      endpoint: huggingFaceEndpoint,
      token: () => options.credentials('huggingface'),
    }),
  };
}
