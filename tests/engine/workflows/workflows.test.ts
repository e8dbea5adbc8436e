/**
 * Workflows with fake ports, on fixtures shaped like ComfyUI's templates: every loader's model (UI
 * format with a subgraph, API format with GGUF and Windows separators), present against the library
 * (including a legacy `unet/` folder), candidates from the workflow's hints (a legacy directory, a
 * hint whose name differs from what the node loads: the node wins), Civitai by SHA-256, search links
 * for the rest; one bundle job into the expected folders; malformed workflows refused by field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModeldockError, createWorkflows, parseWorkflow } from '@modeldock/engine';
import type {
  DownloadPreview,
  EnqueueRequest,
  LibraryRow,
  PreviewRequest,
  WorkflowPorts,
} from '@modeldock/engine';
import { FakeClock } from '../jobs/helpers/fake-clock';
import { RecordingLogger } from '../jobs/helpers/recording-logger';

const AE_SHA = 'ae'.repeat(32);
const UPSCALE_SHA = '4a'.repeat(32);

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/workflows/${name}`, import.meta.url), 'utf8')
    .replaceAll('{{HF}}', 'https://huggingface.co')
    .replaceAll('{{ORIGIN}}', 'https://files.example.com')
    .replaceAll('{{AE_SHA256}}', AE_SHA.toUpperCase());
}

function row(relativePath: string): LibraryRow {
  return {
    id: relativePath,
    relativePath,
    folder: relativePath.split('/')[0]!,
    name: relativePath,
    format: 'safetensors',
    sizeBytes: 1,
    mtimeMs: 0,
    inode: null,
    sha256: null,
    status: 'present',
    source: null,
    jobId: null,
    error: null,
    addedAt: new Date(0),
    updatedAt: new Date(0),
  };
}

function previewOf(request: PreviewRequest): DownloadPreview {
  const kind = request.url.includes('huggingface.co')
    ? 'huggingface'
    : request.url.includes('civitai')
      ? 'civitai'
      : 'direct';
  return {
    kind,
    source: request.url,
    files: [
      {
        name: 'x',
        relativePath: `${request.folder}/${request.filename}`,
        bytesTotal: 1,
        estimatedBytes: null,
        expectedSha256: kind === 'huggingface' ? 'f'.repeat(64) : null,
        access: 'ok',
        credential: null,
        onDisk: 'missing',
        placement: null,
        existingMatch: null,
      },
    ],
    bytesTotal: 1,
    warnings: [],
    listing: null,
    choiceRequired: null,
    accessProblem: null,
  };
}

function fakePorts(rows: LibraryRow[], options: Partial<WorkflowPorts> = {}) {
  const enqueued: EnqueueRequest[] = [];
  const ports: WorkflowPorts = {
    library: { page: async (after) => (after === null ? rows : []) },
    preview: async (request) => previewOf(request),
    enqueue: async (request) => {
      enqueued.push(request);
      return { jobId: 'job-w', attached: false };
    },
    civitaiEndpoint: 'https://civitai.com',
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    ...options,
  };
  return { ports, enqueued };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModeldockError);
    expect((error as ModeldockError).code).toBe('INVALID_INPUT');
    return (error as ModeldockError).message;
  }
  throw new Error('expected a refusal');
}

describe('reading workflows', () => {
  it('finds every loader in the UI format, subgraphs included, with node and top-level hints', () => {
    const parsed = parseWorkflow(fixture('z-image-subgraph.json'));
    expect(parsed.format).toBe('ui');
    expect(
      parsed.references.map((item) => [item.folder, item.name, item.nodeType, item.field]),
    ).toEqual([
      [
        'diffusion_models',
        'z_image_turbo_bf16.safetensors',
        'UNETLoader',
        'workflow.nodes[0].widgets_values[0]',
      ],
      [
        'loras',
        'sliders/detail_slider.safetensors',
        'LoraLoaderModelOnly',
        'workflow.nodes[1].widgets_values[0]',
      ],
      [
        'checkpoints',
        'already_here.safetensors',
        'CheckpointLoaderSimple',
        'workflow.nodes[2].widgets_values[0]',
      ],
      [
        'upscale_models',
        '4x_NoHintAnywhere.pth',
        'UpscaleModelLoader',
        'workflow.nodes[3].widgets_values[0]',
      ],
      [
        'text_encoders',
        'qwen_3_4b.safetensors',
        'CLIPLoader',
        'workflow.definitions.subgraphs[0].nodes[0].widgets_values[0]',
      ],
      [
        'vae',
        'ae.safetensors',
        'VAELoader',
        'workflow.definitions.subgraphs[0].nodes[1].widgets_values[0]',
      ],
    ]);
    expect(parsed.references[0]!.hints).toEqual([
      expect.objectContaining({ directory: 'diffusion_models', rawDirectory: 'unet' }),
    ]);
    expect(parsed.hints.map((hint) => [hint.name, hint.directory, hint.sha256])).toEqual([
      ['qwen_3_4b.safetensors', 'text_encoders', null],
      ['ae.safetensors', 'vae', AE_SHA],
    ]);
  });

  it('reads the API format: every clip of a DualCLIPLoader, GGUF loaders, Windows separators', () => {
    const parsed = parseWorkflow(JSON.parse(fixture('flux-api-format.json')));
    expect(parsed.format).toBe('api');
    expect(parsed.references.map((item) => `${item.folder}/${item.name}`)).toEqual([
      'checkpoints/flux1-dev-fp8.safetensors',
      'text_encoders/t5xxl_fp8_e4m3fn.safetensors',
      'text_encoders/clip_l.safetensors',
      'diffusion_models/gguf/flux1-dev-Q4_0.gguf',
    ]);
  });

  it('reads widget values given as an object', () => {
    const parsed = parseWorkflow({
      nodes: [
        { id: 5, type: 'VAELoader', widgets_values: { vae_name: 'v.safetensors' } },
        { id: 6, type: 'VAELoader', widgets_values: [''] },
      ],
    });
    expect(parsed.references.map((item) => [item.name, item.field])).toEqual([
      ['v.safetensors', 'workflow.nodes[0].widgets_values.vae_name'],
    ]);
  });

  it('refuses what is not a workflow, and names the field of a bad name or hash', () => {
    expect(refusal(() => parseWorkflow('{"nodes": ['))).toMatch(/^workflow: is not JSON/);
    expect(refusal(() => parseWorkflow({ hello: 'world' }))).toMatch(
      /^workflow: is not a ComfyUI workflow/,
    );
    expect(refusal(() => parseWorkflow({}))).toMatch(/^workflow: is not a ComfyUI workflow/);
    expect(refusal(() => parseWorkflow('"text"'))).toMatch(/^workflow: must be a JSON object/);
    expect(
      refusal(() => parseWorkflow(`{"nodes":[],"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`)),
    ).toMatch(/^workflow: is 10\.00 MB; at most 10 MB/);
    expect(
      refusal(() =>
        parseWorkflow({
          nodes: [{ id: 1, type: 'LoraLoader', widgets_values: ['../../etc/passwd', 1, 1] }],
        }),
      ),
    ).toMatch(/^workflow\.nodes\[0\]\.widgets_values\[0\]: .*leads out/);
    expect(
      refusal(() =>
        parseWorkflow({
          '1': { class_type: 'VAELoader', inputs: { vae_name: '/abs/v.safetensors' } },
        }),
      ),
    ).toMatch(/^workflow\["1"\]\.inputs\.vae_name/);
    expect(
      refusal(() =>
        parseWorkflow({
          nodes: [],
          models: [
            { name: 'a.safetensors', url: 'https://x.example/a', hash: 'abc', hash_type: 'SHA256' },
          ],
        }),
      ),
    ).toMatch(/^workflow\.models\[0\]\.hash: must be 64 hexadecimal characters \(got 3/);
    expect(
      refusal(() =>
        parseWorkflow({
          nodes: [],
          models: [{ name: 'a.safetensors', url: 'file:///etc/passwd' }],
        }),
      ),
    ).toMatch(/^workflow\.models\[0\]\.url: must be an http\(s\) link/);
    expect(
      refusal(() =>
        parseWorkflow({ nodes: [], models: [{ name: 'a.safetensors', directory: '../..' }] }),
      ),
    ).toMatch(/^workflow\.models\[0\]\.directory/);
  });
});

describe('analysing and downloading', () => {
  it('marks present (legacy unet/ folder too) and missing, with candidates and evidence; search links otherwise', async () => {
    const { ports } = fakePorts([
      row('checkpoints/already_here.safetensors'),
      row('unet/z_image_turbo_bf16.safetensors'),
    ]);
    const { models } = await createWorkflows(ports).analyze({
      workflow: fixture('z-image-subgraph.json'),
    });
    const byPath = new Map(models.map((model) => [model.path, model]));

    expect(byPath.get('diffusion_models/z_image_turbo_bf16.safetensors')).toMatchObject({
      status: 'present',
      foundAt: 'unet/z_image_turbo_bf16.safetensors',
      candidates: [],
    });
    expect(byPath.get('checkpoints/already_here.safetensors')).toMatchObject({
      status: 'present',
      foundAt: 'checkpoints/already_here.safetensors',
    });

    const lora = byPath.get('loras/sliders/detail_slider.safetensors')!;
    expect(lora).toMatchObject({
      status: 'missing',
      name: 'sliders/detail_slider.safetensors',
      folder: 'loras',
    });
    expect(lora.candidates).toEqual([
      expect.objectContaining({
        url: 'https://files.example.com/detail_slider_v1.safetensors',
        source: 'workflow',
        resolvedAs: 'direct',
        access: 'ok',
        evidence: expect.stringMatching(
          /download link for detail_slider_v1\.safetensors; the node loads "sliders\/detail_slider\.safetensors", so it is saved under that name/,
        ),
      }),
    ]);

    const encoder = byPath.get('text_encoders/qwen_3_4b.safetensors')!;
    expect(encoder.candidates).toEqual([
      expect.objectContaining({
        source: 'workflow',
        resolvedAs: 'huggingface',
        sha256: 'f'.repeat(64),
        evidence: expect.stringMatching(
          /legacy name of text_encoders.*Hugging Face publishes its SHA-256/,
        ),
      }),
    ]);
    expect(byPath.get('vae/ae.safetensors')!.candidates).toEqual([
      expect.objectContaining({
        sha256: AE_SHA,
        evidence: expect.stringMatching(/with its SHA-256/),
      }),
    ]);

    const upscaler = byPath.get('upscale_models/4x_NoHintAnywhere.pth')!;
    expect(upscaler).toMatchObject({ status: 'missing', candidates: [] });
    expect(upscaler.searchUrls).toEqual({
      civitai: 'https://civitai.com/search/models?query=4x_NoHintAnywhere',
      huggingface: 'https://huggingface.co/models?search=4x_NoHintAnywhere',
    });
  });

  it('finds a model on Civitai by the SHA-256 its hint gives when the hint has no link', async () => {
    const asked: string[][] = [];
    const { ports } = fakePorts([], {
      civitaiVersionsByHash: async (hashes) => {
        asked.push(hashes);
        return new Map([
          [
            UPSCALE_SHA,
            {
              id: 77,
              modelId: 7,
              name: 'v2',
              model: { name: 'Sharp upscaler', type: 'Upscaler', nsfw: false, mode: null },
              files: [
                { id: 770, name: 'sharp.pth', sizeKB: 1, sha256: UPSCALE_SHA, primary: true },
              ],
            } as never,
          ],
        ]);
      },
    });
    const workflow = {
      nodes: [{ id: 1, type: 'UpscaleModelLoader', widgets_values: ['sharp.pth'] }],
      models: [
        { name: 'sharp.pth', hash: UPSCALE_SHA, hash_type: 'SHA256', directory: 'upscale_models' },
      ],
    };
    const { models } = await createWorkflows(ports).analyze({ workflow });
    expect(asked).toEqual([[UPSCALE_SHA]]);
    expect(models[0]!.candidates).toEqual([
      expect.objectContaining({
        url: 'https://civitai.com/api/download/models/77?fileId=770',
        source: 'civitai',
        sha256: UPSCALE_SHA,
        resolvedAs: 'civitai',
        evidence: 'Civitai knows this SHA-256: Sharp upscaler v2 (version 77, file sharp.pth)',
      }),
    ]);
  });

  it('a candidate the source refuses is shown with its problem and left out of the download', async () => {
    const { ports, enqueued } = fakePorts([], {
      preview: async (request) => {
        if (request.url.includes('qwen'))
          throw new ModeldockError('GATED_REPO', 'Ask for access on the model page');
        return previewOf(request);
      },
      civitaiVersionsByHash: async () => {
        throw new ModeldockError('NETWORK_ERROR', 'down');
      },
    });
    const workflows = createWorkflows(ports);
    const { models } = await workflows.analyze({ workflow: fixture('z-image-subgraph.json') });
    expect(
      models.find((model) => model.name === 'qwen_3_4b.safetensors')!.candidates[0],
    ).toMatchObject({ access: 'denied', problem: { code: 'GATED_REPO' } });

    const result = await workflows.downloadMissing({ workflow: fixture('z-image-subgraph.json') });
    expect(result.jobId).toBe('job-w');
    expect(result.unresolved).toEqual([
      {
        path: 'checkpoints/already_here.safetensors',
        reason: expect.stringMatching(/No download link/),
      },
      {
        path: 'upscale_models/4x_NoHintAnywhere.pth',
        reason: expect.stringMatching(/No download link/),
      },
      { path: 'text_encoders/qwen_3_4b.safetensors', reason: 'Ask for access on the model page' },
    ]);
    expect(enqueued).toEqual([
      {
        url: 'bundle:workflow',
        reuseExisting: true,
        bundle: [
          {
            input:
              'https://huggingface.co/Comfy-Org/z_image_turbo/resolve/main/split_files/diffusion_models/z_image_turbo_bf16.safetensors',
            folder: 'diffusion_models',
            filename: 'z_image_turbo_bf16.safetensors',
            sha256: 'f'.repeat(64),
          },
          {
            input: 'https://files.example.com/detail_slider_v1.safetensors',
            folder: 'loras/sliders',
            filename: 'detail_slider.safetensors',
          },
          {
            input:
              'https://huggingface.co/black-forest-labs/FLUX.1-schnell/resolve/main/ae.safetensors',
            folder: 'vae',
            filename: 'ae.safetensors',
            sha256: AE_SHA,
          },
        ],
      },
    ]);
  });

  it('nothing missing: no job', async () => {
    const { ports, enqueued } = fakePorts([row('vae/v.safetensors')]);
    const result = await createWorkflows(ports).downloadMissing({
      workflow: { nodes: [{ id: 1, type: 'VAELoader', widgets_values: ['v.safetensors'] }] },
    });
    expect(result).toEqual({ jobId: null, fetching: [], unresolved: [] });
    expect(enqueued).toEqual([]);
  });
});
