export * from './errors';
export * from './job-model';
export * from './ports';
export * from './config';
export * from './secrets/redact';
export type * from './jobs/download-manager-api';
export type * from './transfer/file-transfer-api';
export type * from './transfer/bandwidth';
export * from './paths';
