import { describe, expect, it } from 'vitest';
import { createHuggingFaceResolver, parseHuggingFaceInput } from '@modeldock/engine';

const HUB = 'https://huggingface.co';

describe('Hugging Face inputs: every form a user copies', () => {
  it.each([
    [
      'https://huggingface.co/leejet/Z-Image-Turbo-GGUF/blob/main/z_image_turbo-Q8_0.gguf',
      { repoType: 'model', repoId: 'leejet/Z-Image-Turbo-GGUF', revision: 'main', filePath: 'z_image_turbo-Q8_0.gguf', folderPath: null, include: [] },
    ],
    [
      'https://huggingface.co/black-forest-labs/FLUX.1-schnell/resolve/main/ae.safetensors?download=true',
      { repoId: 'black-forest-labs/FLUX.1-schnell', revision: 'main', filePath: 'ae.safetensors' },
    ],
    ['https://hf.co/org/name/raw/v1.0/config.json', { repoId: 'org/name', revision: 'v1.0', filePath: 'config.json' }],
    ['huggingface.co/org/name/blob/main/sub/dir/file%20name.bin', { repoId: 'org/name', filePath: 'sub/dir/file name.bin' }],
    ['https://huggingface.co/org/name/tree/main/vae', { repoId: 'org/name', revision: 'main', folderPath: 'vae', filePath: null }],
    ['https://huggingface.co/org/name/tree/dev', { revision: 'dev', folderPath: null, filePath: null }],
    ['https://huggingface.co/org/name', { repoId: 'org/name', revision: null, filePath: null, folderPath: null }],
    ['https://huggingface.co/org/name/blob/refs%2Fpr%2F1/model.safetensors', { revision: 'refs/pr/1', filePath: 'model.safetensors' }],
    ['https://huggingface.co/org/name/blob/refs/pr/1/model.safetensors', { revision: 'refs/pr/1', filePath: 'model.safetensors' }],
    ['https://huggingface.co/org/name/commit/0123456789abcdef0123456789abcdef01234567', { revision: '0123456789abcdef0123456789abcdef01234567' }],
    ['https://huggingface.co/datasets/someone/data/blob/main/train.parquet', { repoType: 'dataset', repoId: 'someone/data', filePath: 'train.parquet' }],
    ['https://huggingface.co/spaces/someone/demo/blob/main/app.py', { repoType: 'space', repoId: 'someone/demo' }],
    ['https://huggingface.co/api/models/org/name/revision/v2', { repoId: 'org/name', revision: 'v2' }],
    ['hf://unsloth/Qwen3-4B-Instruct-2507-GGUF/*Q8_0.gguf', { repoId: 'unsloth/Qwen3-4B-Instruct-2507-GGUF', include: ['*Q8_0.gguf'], filePath: null }],
    ['hf://datasets/someone/data@refs%2Fconvert%2Fparquet/default/', { repoType: 'dataset', revision: 'refs/convert/parquet', folderPath: 'default' }],
    ['hf:org/name@v1.0/model.safetensors', { revision: 'v1.0', filePath: 'model.safetensors' }],
    ['leejet/Z-Image-Turbo-GGUF', { repoId: 'leejet/Z-Image-Turbo-GGUF', revision: null, filePath: null, include: [] }],
    ['leejet/Z-Image-Turbo-GGUF@main/z_image_turbo-Q8_0.gguf', { revision: 'main', filePath: 'z_image_turbo-Q8_0.gguf' }],
    ['datasets/someone/data', { repoType: 'dataset', repoId: 'someone/data' }],
  ])('%s', (input, expected) => {
    expect(parseHuggingFaceInput(input, HUB)).toMatchObject(expected);
  });

  it('reads links on a configured mirror, path prefix included', () => {
    expect(parseHuggingFaceInput('https://mirror.example/hf/org/name/blob/main/a.gguf', 'https://mirror.example/hf')).toMatchObject({
      repoId: 'org/name',
      filePath: 'a.gguf',
    });
  });

  it.each([
    'https://huggingface.co/',
    'https://huggingface.co/leejet',
    'https://huggingface.co/docs/hub/index',
    'https://huggingface.co/org/name/discussions/3',
    'https://huggingface.co/org/name/blob/main',
    'hf://just-one-part',
    'hf://org/name@rev/x/../z',
  ])('%s is UNRECOGNISED_INPUT or INVALID_INPUT with a way forward', (input) => {
    let caught: { code: string; message: string } | undefined;
    try {
      parseHuggingFaceInput(input, HUB);
    } catch (error) {
      caught = error as never;
    }
    expect(['UNRECOGNISED_INPUT', 'INVALID_INPUT']).toContain(caught?.code);
    expect(caught?.message.length).toBeGreaterThan(20);
  });

  it.each([
    ['hf://org/../name', 'path segments'],
    ['hf://.org/name', 'repository id'],
    ['org--x/name', 'repository id'],
    [`org/${'a'.repeat(200)}`, 'repository id'],
    ['hf://org/name@../main/file.bin', 'revision'],
    ['hf://org/name@ma%00in/file.bin', 'revision'],
    ['https://huggingface.co/org/name/blob/main/a/../../etc/passwd', 'file path'],
    ['https://huggingface.co/org/name/blob/main/a%00b.bin', 'file path'],
    [`https://huggingface.co/org/name/blob/main/${'x/'.repeat(600)}f.bin`, 'file path'],
  ])('rejects %s before any request (INVALID_INPUT naming the %s)', (input, what) => {
    expect(() => parseHuggingFaceInput(input, HUB)).toThrowError(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining(what.split(' ')[0]!) }),
    );
  });
});

describe('which inputs the Hugging Face resolver claims', () => {
  const resolver = createHuggingFaceResolver({ endpoint: 'http://127.0.0.1:9' });

  it.each([
    'https://huggingface.co/org/name',
    'https://hf.co/org/name/blob/main/a.gguf',
    'huggingface.co/org/name',
    'hf://org/name',
    'org/name',
    'org/name@main/file.gguf',
    'http://127.0.0.1:9/org/name/blob/main/a.bin',
  ])('accepts %s', (input) => {
    expect(resolver.accepts(input)).toBe(true);
  });

  it.each([
    'https://civitai.com/models/123',
    'https://example.com/model.safetensors',
    'example.com/model.bin',
    'preset:z-image-turbo',
    'urn:air:sdxl:checkpoint:civitai:1@2',
    '12345',
    'just words',
  ])('leaves %s to others', (input) => {
    expect(resolver.accepts(input)).toBe(false);
  });
});
