/** @modeldock/client: a typed client for a modeldock server. */
export { createModeldockClient, reconnectDelayMs } from './create-client';
export type { ModeldockClient, ModeldockHelpers } from './create-client';
export type { ModeldockClientOptions, WebSocketConstructor } from './client-options';
export type { WaitForJobOptions } from './wait-for-job';
export type { JobEventsOptions } from './job-events';
export { ModeldockClientError, isModeldockClientError, toModeldockClientError } from './errors';
export type { ModeldockFailureKind } from './errors';
export type * from './api-types';
