import { describe, expect, it } from 'vitest';
import { filterPaths, globToRegExp, normalisePatterns } from '@modeldock/engine/internal/sources/glob-match';

describe('file globs mean what huggingface_hub means (fnmatch)', () => {
  it.each([
    ['*.safetensors', 'model.safetensors', true],
    ['*.safetensors', 'vae/model.safetensors', true],
    ['*Q8_0.gguf', 'sub/x-Q8_0.gguf', true],
    ['*Q8_0.gguf', 'x-q8_0.gguf', false],
    ['model-0000?-of-00002.safetensors', 'model-00001-of-00002.safetensors', true],
    ['model-0000?-of-00002.safetensors', 'model-000010-of-00002.safetensors', false],
    ['[ab].bin', 'a.bin', true],
    ['[!ab].bin', 'a.bin', false],
    ['[!ab].bin', 'c.bin', true],
    ['[0-9].txt', '7.txt', true],
    ['vae/', 'vae/config.json', true],
    ['vae/', 'text_encoder/config.json', false],
    ['a[b', 'a[b', true],
    ['file.name+(1).json', 'file.name+(1).json', true],
    ['file.name+(1).json', 'fileXname+(1).json', false],
  ])('%s vs %s → %s', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });

  it('includes then excludes', () => {
    const items = ['a.gguf', 'b.gguf', 'c.json'].map((path) => ({ path }));
    expect(filterPaths(items, ['*.gguf'], ['b*']).map((item) => item.path)).toEqual(['a.gguf']);
    expect(filterPaths(items, [], []).map((item) => item.path)).toEqual(['a.gguf', 'b.gguf', 'c.json']);
  });

  it('validates patterns: a list of bounded texts without control characters; blanks are dropped', () => {
    expect(normalisePatterns(undefined, 'include')).toEqual([]);
    expect(normalisePatterns([' *.gguf ', ''], 'include')).toEqual(['*.gguf']);
    expect(() => normalisePatterns('*.gguf' as never, 'include')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => normalisePatterns([1 as never], 'include')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => normalisePatterns(Array(65).fill('*'), 'include')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => normalisePatterns(['x'.repeat(600)], 'exclude')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => normalisePatterns(['a\u0000b'], 'exclude')).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
