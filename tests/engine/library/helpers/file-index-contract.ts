/** What every LocalFileIndex must do, run against the in-memory index and the SQL store alike. */
import { beforeEach, describe, expect, it } from 'vitest';
import { ModeldockError } from '@modeldock/engine';
import type { IndexedFile, LocalFileIndex } from '@modeldock/engine';

const NOW = new Date('2030-01-02T03:04:05.000Z');
const LATER = new Date('2030-01-02T04:00:00.000Z');

export function shaOf(character: string): string {
  return character.repeat(64);
}

function entry(
  relativePath: string,
  sha256: string,
  extra: Partial<IndexedFile> = {},
): Omit<IndexedFile, 'indexedAt'> {
  return {
    relativePath,
    sha256,
    size: 1000,
    mtimeMs: 1_700_000_000_123.456,
    sourceKind: null,
    ...extra,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ModeldockError);
    return (error as ModeldockError).code;
  }
}

export function describeFileIndexContract(name: string, open: () => Promise<LocalFileIndex>): void {
  describe(`LocalFileIndex contract: ${name}`, () => {
    let index: LocalFileIndex;
    beforeEach(async () => {
      index = await open();
    });

    it('records a file and gives it back exactly, sizes beyond 4 GiB and fractional times included', async () => {
      await index.record(
        entry('checkpoints/big.safetensors', shaOf('a'), {
          size: 6_938_078_334,
          sourceKind: 'civitai',
        }),
        NOW,
      );
      expect(await index.get('checkpoints/big.safetensors')).toEqual({
        relativePath: 'checkpoints/big.safetensors',
        sha256: shaOf('a'),
        size: 6_938_078_334,
        mtimeMs: 1_700_000_000_123.456,
        sourceKind: 'civitai',
        indexedAt: NOW,
      });
      expect(await index.get('checkpoints/other.safetensors')).toBeNull();
    });

    it('replaces what it knew about a path when it is recorded again', async () => {
      await index.record(
        entry('loras/a.safetensors', shaOf('a'), { sourceKind: 'huggingface' }),
        NOW,
      );
      await index.record(entry('loras/a.safetensors', shaOf('b'), { size: 5, mtimeMs: 2 }), LATER);
      expect(await index.get('loras/a.safetensors')).toEqual({
        relativePath: 'loras/a.safetensors',
        sha256: shaOf('b'),
        size: 5,
        mtimeMs: 2,
        sourceKind: null,
        indexedAt: LATER,
      });
      expect(await index.findBySha256(shaOf('a'))).toEqual([]);
    });

    it('finds every path holding a hash, in path order', async () => {
      await index.record(entry('vae/z.safetensors', shaOf('c')), NOW);
      await index.record(entry('checkpoints/a.safetensors', shaOf('c')), NOW);
      await index.record(entry('loras/other.safetensors', shaOf('d')), NOW);
      expect((await index.findBySha256(shaOf('c'))).map((file) => file.relativePath)).toEqual([
        'checkpoints/a.safetensors',
        'vae/z.safetensors',
      ]);
      expect(await index.findBySha256(shaOf('e'))).toEqual([]);
    });

    it('lists everything in path order, a page at a time after a path', async () => {
      for (const name of ['d.gguf', 'a.gguf', 'c.gguf', 'b.gguf', 'e.gguf'])
        await index.record(entry(`x/${name}`, shaOf('f')), NOW);
      const first = await index.list(null, 2);
      expect(first.map((file) => file.relativePath)).toEqual(['x/a.gguf', 'x/b.gguf']);
      const second = await index.list('x/b.gguf', 2);
      expect(second.map((file) => file.relativePath)).toEqual(['x/c.gguf', 'x/d.gguf']);
      expect((await index.list('x/d.gguf', 2)).map((file) => file.relativePath)).toEqual([
        'x/e.gguf',
      ]);
      expect(await index.list('x/e.gguf', 2)).toEqual([]);
    });

    it('forgets paths and says how many it knew', async () => {
      await index.record(entry('a.gguf', shaOf('a')), NOW);
      await index.record(entry('b.gguf', shaOf('b')), NOW);
      expect(await index.forget(['a.gguf', 'never-known.gguf'])).toBe(1);
      expect(await index.forget([])).toBe(0);
      expect(await index.get('a.gguf')).toBeNull();
      expect((await index.list(null, 10)).map((file) => file.relativePath)).toEqual(['b.gguf']);
    });

    it('refuses bad values with INVALID_INPUT and records nothing', async () => {
      expect(await codeOf(index.record(entry('a.gguf', 'ABC'), NOW))).toBe('INVALID_INPUT');
      expect(await codeOf(index.record(entry('a.gguf', shaOf('A')), NOW))).toBe('INVALID_INPUT');
      expect(await codeOf(index.record(entry('', shaOf('a')), NOW))).toBe('INVALID_INPUT');
      expect(await codeOf(index.record(entry('/etc/passwd', shaOf('a')), NOW))).toBe(
        'INVALID_INPUT',
      );
      expect(await codeOf(index.record(entry('a.gguf', shaOf('a'), { size: -1 }), NOW))).toBe(
        'INVALID_INPUT',
      );
      expect(await codeOf(index.record(entry('a.gguf', shaOf('a'), { size: 1.5 }), NOW))).toBe(
        'INVALID_INPUT',
      );
      expect(
        await codeOf(index.record(entry('a.gguf', shaOf('a'), { mtimeMs: Number.NaN }), NOW)),
      ).toBe('INVALID_INPUT');
      expect(await codeOf(index.findBySha256('not-a-hash'))).toBe('INVALID_INPUT');
      expect(await codeOf(index.list(null, 0))).toBe('INVALID_INPUT');
      expect(await codeOf(index.list(null, 1001))).toBe('INVALID_INPUT');
      expect(await codeOf(index.get(''))).toBe('INVALID_INPUT');
      expect(await codeOf(index.forget(['ok.gguf', '']))).toBe('INVALID_INPUT');
      expect(await index.list(null, 10)).toEqual([]);
    });
  });
}
