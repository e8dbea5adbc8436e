/**
 * Finding a missing workflow model by file name: only a file whose name equals the loaded name is a
 * candidate (case-insensitive on Civitai, exact base name on Hugging Face), never a similar name;
 * Comfy-Org repositories are read first and only a few are read; a failing hub adds nothing; and
 * `analyze` offers the matches with their evidence while a near miss keeps its search links.
 */
import { describe, expect, it } from 'vitest';
import {
  civitaiNameMatches,
  civitaiTypesFor,
  createWorkflows,
  findByName,
  huggingFaceNameMatches,
  rankRepos,
  searchStem,
} from '@modeldock/engine';
import type { CivitaiModelRecord, HfSiblingInfo, NameSearchPorts } from '@modeldock/engine';
import { FakeClock } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';

const SHA = 'c1'.repeat(32);

function civitaiModel(fileName: string, fileId: number | null = 7): CivitaiModelRecord {
  return {
    id: 11,
    name: 'Detail Tweaker',
    versions: [
      {
        id: 22,
        name: 'v1.0',
        files: [{ id: fileId, name: fileName, sha256: SHA, sizeKB: 1, primary: true }],
      },
    ],
  } as unknown as CivitaiModelRecord;
}

function sibling(path: string): HfSiblingInfo {
  return { path, size: 1, lfsSha256: 'f0'.repeat(32), blobId: null };
}

describe('file-name matching rules', () => {
  it('takes a Civitai file whose name equals the loaded name, ignoring case, with its link, hash and evidence', () => {
    const matches = civitaiNameMatches(
      [civitaiModel('Detail_Tweaker.safetensors')],
      'sub/detail_tweaker.safetensors',
      'https://civitai.com',
    );
    expect(matches).toEqual([
      {
        url: 'https://civitai.com/api/download/models/22?fileId=7',
        source: 'civitai',
        sha256: SHA,
        evidence: 'file name matches Detail Tweaker / v1.0 on Civitai',
      },
    ]);
  });

  it('never takes a similar Civitai name or a file without an id', () => {
    expect(
      civitaiNameMatches(
        [civitaiModel('detail_tweaker_v2.safetensors')],
        'detail_tweaker.safetensors',
        'https://civitai.com',
      ),
    ).toEqual([]);
    expect(
      civitaiNameMatches(
        [civitaiModel('detail_tweaker.ckpt')],
        'detail_tweaker.safetensors',
        'https://civitai.com',
      ),
    ).toEqual([]);
    expect(
      civitaiNameMatches(
        [civitaiModel('detail_tweaker.safetensors', null)],
        'detail_tweaker.safetensors',
        'https://civitai.com',
      ),
    ).toEqual([]);
  });

  it('takes a Hugging Face file by exact base name, in any folder of the repository', () => {
    const files = [
      sibling('split_files/vae/ae.safetensors'),
      sibling('ae.safetensors.bak'),
      sibling('AE.safetensors'),
    ];
    expect(huggingFaceNameMatches('Comfy-Org/flux', files, 'ae.safetensors')).toEqual([
      {
        url: 'https://huggingface.co/Comfy-Org/flux/blob/main/split_files/vae/ae.safetensors',
        source: 'huggingface',
        sha256: 'f0'.repeat(32),
        evidence:
          'file name matches Comfy-Org/flux / split_files/vae/ae.safetensors on Hugging Face',
      },
    ]);
  });

  it('reads Comfy-Org repositories first, keeping the hub order otherwise', () => {
    expect(rankRepos(['a/x', 'Comfy-Org/y', 'b/z', 'a/x'])).toEqual(['Comfy-Org/y', 'a/x', 'b/z']);
  });

  it('searches by the stem and by the folder’s Civitai types', () => {
    expect(searchStem('loras/Detail Tweaker.safetensors')).toBe('Detail Tweaker');
    expect(civitaiTypesFor('loras')).toContain('LORA');
    expect(civitaiTypesFor('clip_vision')).toEqual([]);
  });
});

describe('findByName', () => {
  it('asks both hubs, reads at most five repositories, and a failing hub adds nothing', async () => {
    const read: string[] = [];
    const logger = new RecordingLogger();
    const ports: NameSearchPorts = {
      civitaiSearch: async () => {
        throw new Error('HTTP 500');
      },
      huggingFaceSearch: async () => ['u/1', 'u/2', 'u/3', 'u/4', 'u/5', 'u/6', 'Comfy-Org/ae'],
      huggingFaceFiles: async (repo) => {
        read.push(repo);
        return repo === 'Comfy-Org/ae'
          ? [sibling('vae/ae.safetensors')]
          : [sibling('other.safetensors')];
      },
      civitaiEndpoint: 'https://civitai.com',
      clock: new FakeClock(),
      logger,
    };
    const matches = await findByName(ports, 'ae.safetensors', 'vae');
    expect(read).toEqual(['Comfy-Org/ae', 'u/1', 'u/2', 'u/3', 'u/4']);
    expect(matches.map((match) => match.source)).toEqual(['huggingface']);
    expect(logger.text()).toContain('Civitai');
  });

  it('gives up on a hub past its deadline, measured on the injected clock', async () => {
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    const ports: NameSearchPorts = {
      civitaiSearch: () => new Promise(() => {}),
      civitaiEndpoint: 'https://civitai.com',
      clock,
      logger,
    };
    let settled = false;
    const search = findByName(ports, 'x.safetensors', 'loras', 20_000).then((matches) => {
      settled = true;
      return matches;
    });
    await clock.advance(19_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await search).toEqual([]);
    expect(logger.text()).toContain('no answer within 20 s');
  });
});

describe('analyze with the file-name search', () => {
  const workflow = {
    '1': { class_type: 'LoraLoader', inputs: { lora_name: 'Detail_Tweaker.safetensors' } },
    '2': { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } },
    '3': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'nearly.safetensors' } },
  };

  it('offers exact-name matches from each hub and leaves a near miss with its search links', async () => {
    const workflows = createWorkflows({
      library: { page: async () => [] },
      preview: async (request) =>
        ({
          kind: request.url.includes('civitai') ? 'civitai' : 'huggingface',
          source: request.url,
          files: [{ expectedSha256: null, access: 'ok' }],
        }) as never,
      enqueue: async () => ({ jobId: 'job' }) as never,
      civitaiSearch: async () => [
        civitaiModel('detail_tweaker.safetensors'),
        civitaiModel('nearly_v2.safetensors'),
      ],
      huggingFaceSearch: async () => ['Comfy-Org/ae'],
      huggingFaceFiles: async () => [
        sibling('split_files/vae/ae.safetensors'),
        sibling('nearly-fp16.safetensors'),
      ],
      civitaiEndpoint: 'https://civitai.com',
      clock: new FakeClock(),
      logger: new RecordingLogger(),
    });
    const { models } = await workflows.analyze({ workflow });
    const byName = new Map(models.map((model) => [model.name, model]));
    expect(
      byName.get('Detail_Tweaker.safetensors')!.candidates.map((c) => [c.source, c.evidence]),
    ).toEqual([['civitai', 'file name matches Detail Tweaker / v1.0 on Civitai']]);
    expect(byName.get('ae.safetensors')!.candidates.map((c) => [c.source, c.url])).toEqual([
      [
        'huggingface',
        'https://huggingface.co/Comfy-Org/ae/blob/main/split_files/vae/ae.safetensors',
      ],
    ]);
    const nearMiss = byName.get('nearly.safetensors')!;
    expect(nearMiss.candidates).toEqual([]);
    expect(nearMiss.searchUrls?.civitai).toContain('query=nearly');
  });
});
