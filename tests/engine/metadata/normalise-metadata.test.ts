import { describe, expect, it } from 'vitest';
import { descriptionText, fromCivitai, fromHuggingFace, mergeMetadata, NOT_ON_CIVITAI, readCivitaiModel, readCivitaiVersion, readHfModelInfo, sanitiseDescription } from '@modeldock/engine';

const NOW = new Date('2026-12-07T12:00:00.000Z');

const versionJson = {
  id: 11,
  modelId: 1,
  name: 'v2.0',
  baseModel: 'Illustrious',
  trainedWords: ['glowing eyes', 'neon', 42, ''],
  nsfwLevel: 2,
  model: { name: 'Neon Style', type: 'LORA', nsfw: false },
  files: [{ id: 5, name: 'neon.safetensors', primary: true, hashes: { SHA256: 'AB'.repeat(32) } }],
  images: [{ url: 'https://img/1.png', nsfwLevel: 1, width: 512, height: 768, type: 'image' }, { nope: true }],
};
const modelJson = {
  id: 1,
  name: 'Neon Style',
  type: 'LORA',
  description: '<p>Hello <b>world</b><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a></p>',
  tags: ['style', { name: 'neon' }],
  creator: { username: 'artist' },
  mode: null,
  modelVersions: [versionJson],
};

describe('descriptions are sanitised', () => {
  it('keeps formatting and drops scripts, handlers and javascript: links', () => {
    const clean = sanitiseDescription(modelJson.description)!;
    expect(clean).toContain('<b>world</b>');
    expect(clean).not.toMatch(/script|onerror|javascript:|alert/);
    expect(sanitiseDescription('<a href="https://civitai.com/x">page</a>')).toBe('<a href="https://civitai.com/x" target="_blank" rel="noopener noreferrer nofollow">page</a>');
    expect(sanitiseDescription('<script>only</script>')).toBeNull();
    expect(sanitiseDescription(42 as unknown as string)).toBeNull();
  });

  it('gives plain text for tools that show text', () => {
    expect(descriptionText('<p>Use &amp; enjoy <b>x &lt; y</b></p><script>bad()</script>')).toBe('Use & enjoy x < y');
    expect(descriptionText('<script>x</script>')).toBeNull();
  });
});

describe('Civitai records are read defensively', () => {
  it('keeps good fields and drops wrong types', () => {
    const version = readCivitaiVersion(versionJson)!;
    expect(version.trainedWords).toEqual(['glowing eyes', 'neon']);
    expect(version.images).toHaveLength(1);
    expect(version.files[0]!.sha256).toBe('ab'.repeat(32));
    expect(readCivitaiVersion({ id: 'x' })).toBeNull();
    expect(readCivitaiVersion([])).toBeNull();
    expect(readCivitaiModel({ id: 1, tags: 'nope', modelVersions: 'nope' })).toMatchObject({ tags: [], versions: [] });
  });
});

describe('merging sources by exactness', () => {
  it('Civitai version + model gives complete metadata with a sanitised description', () => {
    const contribution = fromCivitai('https://civitai.com', readCivitaiVersion(versionJson), readCivitaiModel(modelJson));
    const metadata = mergeMetadata([contribution], NOW);
    expect(metadata).toMatchObject({
      name: 'Neon Style',
      versionName: 'v2.0',
      type: 'LORA',
      baseModel: 'Illustrious',
      trainedWords: ['glowing eyes', 'neon'],
      tags: ['style', 'neon'],
      creator: 'artist',
      nsfwLevel: 2,
      sourceUrl: 'https://civitai.com/models/1?modelVersionId=11',
      completeness: 'complete',
      missing: [],
      sources: ['civitai'],
      updatedAt: NOW.toISOString(),
    });
    expect(metadata.description).not.toContain('script');
  });

  it('a version alone (no model answer) is partial: description, creator and tags are missing', () => {
    const metadata = mergeMetadata([fromCivitai('https://civitai.com', readCivitaiVersion({ ...versionJson, description: null }), null)], NOW);
    expect(metadata.completeness).toBe('partial');
    expect(metadata.missing).toEqual(expect.arrayContaining(['description', 'creator', 'tags']));
  });

  it('the more exact source wins field by field; a less exact one fills gaps', () => {
    const metadata = mergeMetadata(
      [
        { source: 'header', fields: { name: 'from header', baseModel: 'SD 1.5', trainedWords: ['header word'] } },
        { source: 'civitai', fields: { name: 'From Civitai', type: 'LORA', trainedWords: [] } },
      ],
      NOW,
    );
    expect(metadata.name).toBe('From Civitai');
    expect(metadata.baseModel).toBe('SD 1.5');
    // Civitai's empty list does not hide the header's trigger-word candidates.
    expect(metadata.trainedWords).toEqual(['header word']);
    expect(metadata.sources).toEqual(['civitai', 'header']);
  });

  it('a file no hub knows stays minimal with the reason, named from its file', () => {
    const metadata = mergeMetadata([{ source: 'civitai', fields: {}, note: NOT_ON_CIVITAI }], NOW, { name: 'mystery', type: 'LORA' });
    expect(metadata.completeness).toBe('minimal');
    expect(metadata.name).toBe('mystery');
    expect(metadata.missing).toEqual(['name', 'type', 'baseModel', 'versionName', 'description', 'creator', 'tags', 'trainedWords', 'sourceUrl', NOT_ON_CIVITAI]);
    expect(metadata.sources).toEqual([]);
  });

  it('Hugging Face info is complete without what Hugging Face never has (description, trigger words)', () => {
    const info = readHfModelInfo(
      { sha: 'abcdef1234567', tags: ['lora', 'license:mit'], pipeline_tag: 'text-to-image', cardData: { base_model: 'black-forest-labs/FLUX.1-dev' }, author: 'acme' },
      'acme/flux-lora',
      'https://huggingface.co',
    )!;
    const metadata = mergeMetadata([fromHuggingFace(info, 'flux.safetensors')], NOW);
    expect(metadata).toMatchObject({ name: 'flux-lora', versionName: 'abcdef1', type: 'LORA', baseModel: 'black-forest-labs/FLUX.1-dev', creator: 'acme', tags: ['lora'], completeness: 'complete' });
    expect(info.license).toBe('mit');
  });
});
