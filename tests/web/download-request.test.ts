import { describe, expect, it } from 'vitest';
import {
  buildResolveInput,
  emptyFields,
  familyOfKind,
  fieldsForNextDownload,
  guessSourceFamily,
  optionsSetCount,
  requestKey,
  splitPatterns,
} from '../../apps/web/src/lib/downloads/add/download-request';
import type { DownloadFields } from '../../apps/web/src/lib/downloads/add/download-request';

function fields(overrides: Partial<DownloadFields>): DownloadFields {
  return { ...emptyFields(), ...overrides };
}

describe('guessSourceFamily', () => {
  it('recognises Hugging Face links, hf:// and bare repository ids', () => {
    expect(guessSourceFamily('https://huggingface.co/org/name/blob/main/x.gguf')).toBe(
      'huggingface',
    );
    expect(guessSourceFamily('hf.co/org/name')).toBe('huggingface');
    expect(guessSourceFamily('hf://org/name/*.gguf')).toBe('huggingface');
    expect(guessSourceFamily('unsloth/Qwen3-4B-Instruct-2507-GGUF')).toBe('huggingface');
  });

  it('recognises Civitai pages and AIRs', () => {
    expect(guessSourceFamily('https://civitai.com/models/827184?modelVersionId=2514310')).toBe(
      'civitai',
    );
    expect(guessSourceFamily('urn:air:sdxl:checkpoint:civitai:827184@2514310')).toBe('civitai');
    expect(guessSourceFamily('civitai:827184')).toBe('civitai');
  });

  it('leaves direct links, domains with paths and empty input as other', () => {
    expect(guessSourceFamily('https://example.org/model.safetensors')).toBe('other');
    expect(guessSourceFamily('example.com/model.bin')).toBe('other');
    expect(guessSourceFamily('  ')).toBe('other');
  });

  it("takes the server's kind over the guess when there is one", () => {
    expect(familyOfKind('huggingface')).toBe('huggingface');
    expect(familyOfKind('civitai')).toBe('civitai');
    expect(familyOfKind('direct')).toBe('other');
  });
});

describe('splitPatterns', () => {
  it('splits on commas and new lines and drops blanks', () => {
    expect(splitPatterns(' *Q8_0.gguf, *.json\n\noriginal/* ,')).toEqual([
      '*Q8_0.gguf',
      '*.json',
      'original/*',
    ]);
    expect(splitPatterns('')).toEqual([]);
  });
});

describe('buildResolveInput', () => {
  it('sends only what was filled in, trimmed', () => {
    expect(
      buildResolveInput(
        fields({ url: '  https://example.org/a.bin ', folder: ' loras ' }),
        'other',
      ),
    ).toEqual({ url: 'https://example.org/a.bin', folder: 'loras' });
  });

  it('sends the Hugging Face options only for a Hugging Face source', () => {
    const filled = fields({
      url: 'org/name',
      revision: ' v1 ',
      include: '*.gguf, *.json',
      exclude: 'big/*',
      layout: 'hf-cache',
      civitai: { ...emptyFields().civitai, format: 'GGUF' },
    });
    expect(buildResolveInput(filled, 'huggingface')).toEqual({
      url: 'org/name',
      revision: 'v1',
      include: ['*.gguf', '*.json'],
      exclude: ['big/*'],
      layout: 'hf-cache',
    });
    expect(buildResolveInput(filled, 'other')).toEqual({ url: 'org/name' });
  });

  it('sends the Civitai file choice only for a Civitai source', () => {
    const filled = fields({
      url: 'civitai:1',
      include: '*.gguf',
      civitai: {
        type: ' VAE ',
        format: 'SafeTensor',
        size: '',
        fp: 'fp16',
        quantType: '',
        fileId: 42,
      },
    });
    expect(buildResolveInput(filled, 'civitai')).toEqual({
      url: 'civitai:1',
      civitaiFile: { type: 'VAE', format: 'SafeTensor', fp: 'fp16', fileId: 42 },
    });
    expect(buildResolveInput(fields({ url: 'civitai:1' }), 'civitai')).toEqual({
      url: 'civitai:1',
    });
  });

  it('gives equal requests equal keys and different requests different keys', () => {
    const a = buildResolveInput(fields({ url: 'org/name', include: '*.gguf' }), 'huggingface');
    const b = buildResolveInput(fields({ url: 'org/name ', include: ' *.gguf,' }), 'huggingface');
    const c = buildResolveInput(fields({ url: 'org/name', include: '*.json' }), 'huggingface');
    expect(requestKey(a)).toBe(requestKey(b));
    expect(requestKey(a)).not.toBe(requestKey(c));
  });
});

describe('fieldsForNextDownload', () => {
  it('resets every option, so the next link does not inherit a folder, a name or a hash', () => {
    const next = fieldsForNextDownload(
      fields({
        url: 'org/name',
        folder: 'loras',
        filename: 'x.safetensors',
        layout: 'hf-cache',
        sha256: 'ab',
        include: '*',
      }),
    );
    expect(next).toEqual(emptyFields());
  });
});

describe('optionsSetCount', () => {
  it('counts each option that is set, priority included, and ignores blanks', () => {
    expect(optionsSetCount(emptyFields(), undefined)).toBe(0);
    expect(optionsSetCount(fields({ folder: ' ', filename: '' }), null)).toBe(0);
    expect(optionsSetCount(fields({ folder: 'loras', sha256: 'ab' }), 3)).toBe(3);
    expect(
      optionsSetCount(
        fields({ civitai: { ...emptyFields().civitai, fp: 'fp16', fileId: 12 } }),
        Number.NaN,
      ),
    ).toBe(2);
  });
});
