/**
 * workflows.analyze and workflows.downloadMissing on the built server, with the fake Hugging Face hub
 * and a file origin, on a fixture shaped like ComfyUI's templates (a subgraph, a legacy `unet` hint
 * directory, a LoRA whose hint names another file than the node loads): present models are found
 * (also in the legacy unet/ folder), missing ones get candidates with evidence, one click fetches them
 * as one bundle into the folders and names the workflow loads, and the next analysis finds them all.
 * Models with no hint are found by their exact file name on the fake Civitai and Hugging Face; a
 * near-miss name (a `_v2` file) is left unresolved with its search links.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerFolders, startServerProcess } from '../support/server-process';
import type { ServerProcess, TemporaryServerFolders } from '../support/server-process';
import { sha256Of, startFileOrigin } from '../support/file-origin';
import type { FileOrigin } from '../support/file-origin';
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { modelFile } from '../sources/helpers/hf-fixtures';
import { connectHttp, failureOf, sha256OfFile, waitFor, waitForStatus } from './api-client';
import type { Api } from './api-client';

const FIXTURE = new URL('../fixtures/workflows/z-image-subgraph.json', import.meta.url);

describe('ComfyUI workflows through the API', () => {
  let hub: FakeHuggingFace;
  let cdn: FakeCdn;
  let civitai: FakeCivitai;
  const tweaker = modelFile('detail_tweaker_xl.safetensors', 'tweaker', 2100);
  const fluxVae = modelFile('flux_vae.safetensors', 'fluxvae', 2300);
  let origin: FileOrigin;
  let folders: TemporaryServerFolders;
  let server: ServerProcess;
  let api: Api;
  let workflow: string;
  const qwen = modelFile('qwen_3_4b.safetensors', 'qwen', 3000);
  const ae = modelFile('ae.safetensors', 'ae', 2500);
  const lora = modelFile('detail_slider_v1.safetensors', 'lora', 2200);

  beforeAll(async () => {
    hub = await startFakeHuggingFace();
    hub.addRepo({
      id: 'Comfy-Org/z_image_turbo',
      files: [
        {
          path: 'split_files/diffusion_models/z_image_turbo_bf16.safetensors',
          content: modelFile('z.safetensors', 'z', 2048),
        },
        { path: 'split_files/text_encoders/qwen_3_4b.safetensors', content: qwen },
      ],
    });
    hub.addRepo({
      id: 'black-forest-labs/FLUX.1-schnell',
      files: [{ path: 'ae.safetensors', content: ae }],
    });
    // Near misses by name for the upscaler (never offered), exact names for the no-hint models below.
    hub.addRepo({
      id: 'someone/4x_NoHintAnywhere',
      files: [{ path: '4x_NoHintAnywhere_v2.pth', content: 'x'.repeat(2048) }],
    });
    hub.addRepo({
      id: 'Comfy-Org/flux_vae',
      files: [{ path: 'split_files/vae/flux_vae.safetensors', content: fluxVae }],
    });
    cdn = await startFakeCdn();
    civitai = await startFakeCivitai({ storage: cdn });
    civitai.addModel({
      id: 301,
      name: '4x NoHintAnywhere',
      type: 'Upscaler',
      versions: [
        {
          id: 3010,
          name: 'v2',
          files: [
            {
              id: 30100,
              name: '4x_NoHintAnywhere_v2.pth',
              content: 'y'.repeat(2048),
              format: 'PickleTensor',
            },
          ],
        },
      ],
    });
    civitai.addModel({
      id: 302,
      name: 'Detail Tweaker XL',
      type: 'LORA',
      versions: [
        {
          id: 3020,
          name: 'v1.0',
          files: [{ id: 30200, name: 'Detail_Tweaker_XL.safetensors', content: tweaker }],
        },
      ],
    });
    origin = await startFileOrigin();
    origin.addFile('detail_slider_v1.safetensors', { bytes: lora });
    workflow = (await readFile(FIXTURE, 'utf8'))
      .replaceAll('{{HF}}', hub.url)
      .replaceAll('{{ORIGIN}}', origin.url)
      .replaceAll('{{AE_SHA256}}', sha256Of(ae).toUpperCase());
    folders = await createServerFolders();
    await mkdir(path.join(folders.modelsDir, 'unet'), { recursive: true });
    await mkdir(path.join(folders.modelsDir, 'checkpoints'), { recursive: true });
    await writeFile(
      path.join(folders.modelsDir, 'unet/z_image_turbo_bf16.safetensors'),
      modelFile('z.safetensors', 'z', 2048),
    );
    await writeFile(
      path.join(folders.modelsDir, 'checkpoints/already_here.safetensors'),
      modelFile('c.safetensors', 'c', 2048),
    );
    server = await startServerProcess({
      folders,
      env: { MODELDOCK_HF_ENDPOINT: hub.url, MODELDOCK_CIVITAI_ENDPOINT: civitai.url },
    });
    api = connectHttp(server.url);
    await waitFor(
      async () => (await api.library.list.query()).items.length === 2 || null,
      'the two files on disk in the library',
    );
  }, 180_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await Promise.all([folders?.remove(), origin?.close(), hub?.close(), civitai?.close()]);
    await cdn?.close();
  });

  it('lists every model with present / missing and candidates, then downloads the missing ones in one bundle', async () => {
    const { models } = await api.workflows.analyze.mutate({ workflow });
    const byPath = new Map(models.map((model) => [model.path, model]));
    expect([...byPath.keys()].sort()).toEqual([
      'checkpoints/already_here.safetensors',
      'diffusion_models/z_image_turbo_bf16.safetensors',
      'loras/sliders/detail_slider.safetensors',
      'text_encoders/qwen_3_4b.safetensors',
      'upscale_models/4x_NoHintAnywhere.pth',
      'vae/ae.safetensors',
    ]);
    expect(byPath.get('diffusion_models/z_image_turbo_bf16.safetensors')).toMatchObject({
      status: 'present',
      foundAt: 'unet/z_image_turbo_bf16.safetensors',
    });
    expect(byPath.get('checkpoints/already_here.safetensors')).toMatchObject({ status: 'present' });
    expect(byPath.get('text_encoders/qwen_3_4b.safetensors')).toMatchObject({
      status: 'missing',
      candidates: [
        {
          source: 'workflow',
          resolvedAs: 'huggingface',
          access: 'ok',
          sha256: sha256Of(qwen),
          evidence: expect.stringMatching(/legacy name/),
        },
      ],
    });
    expect(byPath.get('vae/ae.safetensors')!.candidates[0]).toMatchObject({
      sha256: sha256Of(ae),
      access: 'ok',
    });
    expect(byPath.get('loras/sliders/detail_slider.safetensors')!.candidates[0]).toMatchObject({
      url: `${origin.url}/detail_slider_v1.safetensors`,
      evidence: expect.stringMatching(/saved under that name/),
    });
    expect(byPath.get('upscale_models/4x_NoHintAnywhere.pth')).toMatchObject({
      status: 'missing',
      candidates: [],
      searchUrls: { civitai: expect.stringContaining('4x_NoHintAnywhere') },
    });

    const result = await api.workflows.downloadMissing.mutate({ workflow: JSON.parse(workflow) });
    expect(result.fetching.sort()).toEqual([
      'loras/sliders/detail_slider.safetensors',
      'text_encoders/qwen_3_4b.safetensors',
      'vae/ae.safetensors',
    ]);
    expect(result.unresolved).toEqual([
      { path: 'upscale_models/4x_NoHintAnywhere.pth', reason: expect.any(String) },
    ]);
    const job = await waitForStatus(api, result.jobId!, 'completed');
    expect(job.kind).toBe('bundle');
    expect(
      await sha256OfFile(path.join(folders.modelsDir, 'loras/sliders/detail_slider.safetensors')),
    ).toBe(sha256Of(lora));
    expect(
      await sha256OfFile(path.join(folders.modelsDir, 'text_encoders/qwen_3_4b.safetensors')),
    ).toBe(sha256Of(qwen));
    expect(await sha256OfFile(path.join(folders.modelsDir, 'vae/ae.safetensors'))).toBe(
      sha256Of(ae),
    );

    const after = await waitFor(async () => {
      const analysis = await api.workflows.analyze.mutate({ workflow });
      return analysis.models.filter((model) => model.status === 'missing').length === 1
        ? analysis
        : null;
    }, 'only the upscaler still missing');
    expect(after.models.find((model) => model.status === 'missing')!.path).toBe(
      'upscale_models/4x_NoHintAnywhere.pth',
    );
  });

  it('finds models without a hint by their exact file name on Civitai and Hugging Face', async () => {
    const noHints = {
      '1': { class_type: 'LoraLoader', inputs: { lora_name: 'detail_tweaker_xl.safetensors' } },
      '2': { class_type: 'VAELoader', inputs: { vae_name: 'flux_vae.safetensors' } },
      '3': { class_type: 'UpscaleModelLoader', inputs: { model_name: '4x_NoHintAnywhere.pth' } },
    };
    const { models } = await api.workflows.analyze.mutate({ workflow: noHints });
    const byPath = new Map(models.map((model) => [model.path, model]));
    expect(byPath.get('loras/detail_tweaker_xl.safetensors')).toMatchObject({
      status: 'missing',
      searchUrls: null,
      candidates: [
        {
          source: 'civitai',
          url: `${civitai.url}/api/download/models/3020?fileId=30200`,
          sha256: sha256Of(tweaker),
          evidence: 'file name matches Detail Tweaker XL / v1.0 on Civitai',
        },
      ],
    });
    expect(byPath.get('vae/flux_vae.safetensors')).toMatchObject({
      status: 'missing',
      candidates: [
        {
          source: 'huggingface',
          resolvedAs: 'huggingface',
          sha256: sha256Of(fluxVae),
          evidence:
            'file name matches Comfy-Org/flux_vae / split_files/vae/flux_vae.safetensors on Hugging Face',
        },
      ],
    });
    expect(byPath.get('upscale_models/4x_NoHintAnywhere.pth')).toMatchObject({
      candidates: [],
      searchUrls: { huggingface: expect.stringContaining('4x_NoHintAnywhere') },
    });
  });

  it('refuses bad workflows with a 400 naming the field, and starts nothing', async () => {
    const before = (await api.downloads.list.query()).items.length;
    const cases: Array<[unknown, RegExp]> = [
      ['{"nodes": [', /^workflow: is not JSON/],
      [{ prompt: 'a cat' }, /^workflow: is not a ComfyUI workflow/],
      [
        `{"nodes":[],"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`,
        /^workflow: is 10\.\d\d MB; at most 10 MB/,
      ],
      [
        { nodes: [{ id: 1, type: 'LoraLoader', widgets_values: ['../../../etc/passwd', 1, 1] }] },
        /^workflow\.nodes\[0\]\.widgets_values\[0\]/,
      ],
      [
        { nodes: [], models: [{ name: 'a.safetensors', url: `${origin.url}/a`, hash: 'abcd' }] },
        /^workflow\.models\[0\]\.hash/,
      ],
    ];
    for (const [bad, message] of cases) {
      for (const call of [api.workflows.analyze, api.workflows.downloadMissing]) {
        const failure = await failureOf(call.mutate({ workflow: bad }));
        expect(failure).toMatchObject({ httpStatus: 400, modeldockCode: 'INVALID_INPUT' });
        expect(failure.message).toMatch(message);
      }
    }
    expect((await api.downloads.list.query()).items).toHaveLength(before);
  });
});
