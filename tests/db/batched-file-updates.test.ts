/** How updateFiles folds many patches of one file into one row of its statement. */
import { describe, expect, it } from 'vitest';
import { mergeFileUpdates } from '@modeldock/db/internal/batched-file-updates';

describe('mergeFileUpdates', () => {
  it('gives one patch per file, in the order files were first patched, a later value winning', () => {
    const merged = mergeFileUpdates([
      { fileId: 'b', patch: { status: 'running', bytesDone: 5 } },
      { fileId: 'a', patch: { bytesDone: 1, error: { code: 'NETWORK_ERROR', message: 'reset' } } },
      { fileId: 'b', patch: { bytesDone: 10, sha256: 'f'.repeat(64) } },
      { fileId: 'a', patch: { error: null, validator: null } },
      { fileId: 'b', patch: { status: 'completed' } },
    ]);
    expect([...merged.entries()]).toEqual([
      ['b', { status: 'completed', bytesDone: 10, sha256: 'f'.repeat(64) }],
      ['a', { bytesDone: 1, error: null, validator: null }],
    ]);
  });

  it('never lets undefined override an earlier value, nor appear as a field', () => {
    const merged = mergeFileUpdates([
      { fileId: 'a', patch: { status: 'completed', bytesTotal: null } },
      { fileId: 'a', patch: { status: undefined, bytesTotal: undefined, format: undefined } },
      { fileId: 'c', patch: { format: undefined } },
    ]);
    expect(merged.get('a')).toStrictEqual({ status: 'completed', bytesTotal: null });
    expect(merged.get('c')).toStrictEqual({});
  });

  it('leaves the patches it was given unchanged', () => {
    const first = { status: 'running' as const };
    mergeFileUpdates([
      { fileId: 'a', patch: first },
      { fileId: 'a', patch: { bytesDone: 3 } },
    ]);
    expect(first).toStrictEqual({ status: 'running' });
  });
});
