export { sanitizeFileName } from './sanitize-file-name';
export {
  normaliseFolder,
  relativeDestination,
  absoluteDestination,
  assertRealPathInsideRoot,
} from './confine-path';
export { tempPathFor, isTempFileName, fileIdOfTempName, TEMP_SUFFIX } from './temp-path';
