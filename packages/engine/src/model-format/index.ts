/**
 * Model file formats, read from bytes: the safetensors header (tensor names, `__metadata__`), GGUF
 * metadata (`general.*`), and what kind of model a file is. Parsing takes bytes you already have;
 * the `read*` functions take a ReadBytes (a buffer, a local file, or a remote file by Range).
 */
export { bufferByteReader, openFileByteReader } from './byte-reader';
export type { ReadBytes } from './byte-reader';
export {
  SAFETENSORS_MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  parseSafetensorsHeaderJson,
  readSafetensorsHeader,
  safetensorsHeaderLength,
} from './safetensors-header';
export type { SafetensorsHeader, SafetensorsTensor } from './safetensors-header';
export { ggufString, parseGgufMetadata, readGgufMetadata } from './gguf-metadata';
export type { GgufMetadata, GgufReadOptions, GgufScalar, GgufValue } from './gguf-metadata';
export { MODEL_CLASSES, UNKNOWN_CLASS } from './model-class';
export type { ClassificationBasis, ModelClass, ModelClassification } from './model-class';
export {
  classifyGgufMetadata,
  classifyModelFile,
  classifySafetensorsHeader,
} from './classify-model';
export { classifyByName } from './classify-by-name';
export { isRangeUnsupported, prefetchingReader, remoteByteReader } from './remote-bytes';
export type { RemoteBytesRequest } from './remote-bytes';
export { MAX_PROBED_HEADER_BYTES, isProbeableName, probeModelFile } from './probe-model-file';
export type { ModelFileProbe, ProbedFormat } from './probe-model-file';
