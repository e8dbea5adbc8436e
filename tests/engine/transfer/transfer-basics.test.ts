import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { transferFile } from '@modeldock/engine/internal/transfer/transfer-file';
import { deterministicBytes, startFaultOrigin } from '../../support/fault-origin';
import type { FaultOrigin } from '../../support/fault-origin';
import { createHarness, fileRecord, recorder } from './transfer-harness';
import type { Harness } from './transfer-harness';

let origin: FaultOrigin;
let harness: Harness;

beforeEach(async () => {
  origin = await startFaultOrigin();
  harness = await createHarness();
});
afterEach(async () => {
  await harness.dispose();
  await origin.close();
});

describe('transferFile moves one file durably and verified', () => {
  it('downloads a file to its final path with the right SHA-256 and no temp left behind', async () => {
    const served = origin.setFile('/m.bin', deterministicBytes(300_000));
    const file = fileRecord(served.url, { expectedSha256: served.sha256 });
    const record = recorder();
    const result = await transferFile(file, harness.context(), record.callbacks);
    expect(result.sha256).toBe(served.sha256);
    expect(result.bytesTotal).toBe(300_000);
    const onDisk = await readFile(path.join(harness.root, file.relativePath));
    expect(onDisk.equals(served.bytes)).toBe(true);
    expect(await readdir(path.join(harness.root, 'checkpoints'))).toEqual([file.name]);
    expect(record.lastDurable()?.bytesDone).toBe(300_000);
    expect(record.lastDurable()?.validator?.etag).toBe(served.etag);
  });
});
