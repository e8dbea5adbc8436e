import { describe, expect, it } from 'vitest';
import {
  keptCompletedFiles,
  rememberKeptCompletedFiles,
} from '../../apps/web/src/lib/downloads/kept-files';

describe('kept completed files', () => {
  function memoryStorage(initial: string | null = null) {
    let value = initial;
    return {
      getItem: () => value,
      setItem: (_key: string, next: string) => {
        value = next;
      },
    };
  }

  it('remembers which jobs keep their files, once each', () => {
    const storage = memoryStorage();
    rememberKeptCompletedFiles(storage, 'job-1');
    rememberKeptCompletedFiles(storage, 'job-2');
    rememberKeptCompletedFiles(storage, 'job-1');
    expect([...keptCompletedFiles(storage)].sort()).toEqual(['job-1', 'job-2']);
  });

  it('treats unreadable storage as no choices made', () => {
    expect(keptCompletedFiles(memoryStorage('{not json')).size).toBe(0);
    expect(keptCompletedFiles(memoryStorage('{"a":1}')).size).toBe(0);
  });

  it('survives storage that refuses writes', () => {
    const storage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(() => rememberKeptCompletedFiles(storage, 'job-1')).not.toThrow();
  });
});
