/**
 * `reuseExisting`: for each file not already at its destination whose expected SHA-256 the local file
 * index knows under another path, place that file at the destination (linked or copied, then
 * verified) instead of downloading it. A copy that cannot be used is logged and the file downloads
 * as usual: reuse saves time, it never makes a download fail.
 */
import type { ResolvedFile } from '../sources/source-resolver';
import { findExistingCopy } from '../library/find-existing-copy';
import type { LibraryContext } from '../library/library-context';
import { placeExistingFile } from '../library/place-existing-file';
import type { Placement } from '../library/place-existing-file';
import { redactSecrets } from '../secrets/redact';
import { recordLocalFile } from '../library/record-local-file';
import type { DestinationCheck } from './existing-destination';
import { describeError } from '../errors';

export interface ReusedFile extends Placement {
  /** The file it was placed from. */
  from: string;
}

export async function reuseExistingFiles(
  library: LibraryContext,
  files: readonly ResolvedFile[],
  checks: readonly DestinationCheck[],
  sourceKind: string,
  wanted: (file: ResolvedFile) => boolean = () => true,
): Promise<Array<ReusedFile | null>> {
  const reused: Array<ReusedFile | null> = [];
  for (const [index, file] of files.entries()) {
    const expectedSha256 = file.expectedSha256;
    const copy =
      checks[index]?.present || !expectedSha256 || !wanted(file) ? null : await findExistingCopy(library, file);
    if (!copy || !expectedSha256) {
      reused.push(null);
      continue;
    }
    try {
      const placement = await placeExistingFile(library, {
        from: copy.relativePath,
        to: file.relativePath,
        expectedSha256,
      });
      await recordLocalFile(library, {
        relativePath: file.relativePath,
        sha256: placement.sha256,
        sourceKind,
        origin: { url: redactSecrets(file.url), revision: file.revision ?? null, jobId: null },
      });
      library.logger.info(
        {
          file: file.relativePath,
          from: copy.relativePath,
          method: placement.method,
          bytes: placement.bytes,
        },
        'reused a file already on disk',
      );
      reused.push({ ...placement, from: copy.relativePath });
    } catch (error) {
      library.logger.warn(
        { file: file.relativePath, from: copy.relativePath, message: describeError(error) },
        'could not reuse a file already on disk; downloading it instead',
      );
      reused.push(null);
    }
  }
  return reused;
}
