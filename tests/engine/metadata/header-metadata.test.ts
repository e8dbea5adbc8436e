import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baseModelOfHeader, headerContribution, mergeMetadata, NOT_ON_CIVITAI, topTrainingTags } from '@modeldock/engine';
import { ggufFile, safetensorsFile } from '../../support/model-bytes';
import { nodeFileSystemForTests } from '../../support/node-fs-for-tests';

const fs = nodeFileSystemForTests();
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'modeldock-header-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function contributionOf(name: string, bytes: Buffer) {
  const file = path.join(root, name);
  await writeFile(file, bytes);
  return headerContribution(fs, file, bytes.length);
}

describe('metadata from a file’s own header', () => {
  it('a kohya LoRA: name, type, base model and trigger-word candidates from its training tags', async () => {
    const bytes = safetensorsFile({
      tensors: ['lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight', 'lora_unet_down_blocks_0_attentions_0_proj_in.alpha'],
      metadata: {
        ss_output_name: 'my_style',
        ss_base_model_version: 'sdxl_base_v1-0',
        ss_network_module: 'networks.lora',
        ss_tag_frequency: JSON.stringify({ '10_style': { 'my style': 40, '1girl': 12, solo: 30 }, other: { solo: 5, 'my style': 1 } }),
      },
    });
    const contribution = (await contributionOf('my_style.safetensors', bytes))!;
    expect(contribution).toEqual({
      source: 'header',
      fields: { name: 'my_style', type: 'LORA', baseModel: 'SDXL 1.0', description: null, creator: null, trainedWords: ['my style', 'solo', '1girl'] },
    });
  });

  it('ModelSpec: title, trigger phrase, author and a sanitised description', async () => {
    const bytes = safetensorsFile({
      tensors: ['lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight'],
      metadata: { 'modelspec.title': 'Ink Lines', 'modelspec.architecture': 'stable-diffusion-v1/lora', 'modelspec.trigger_phrase': 'ink, lines', 'modelspec.author': 'inker', 'modelspec.description': 'Lines <script>x()</script>' },
    });
    expect((await contributionOf('ink.safetensors', bytes))!.fields).toMatchObject({ name: 'Ink Lines', baseModel: 'SD 1.5', trainedWords: ['ink', 'lines'], creator: 'inker', description: 'Lines' });
  });

  it('GGUF general.*: name, architecture and organisation', async () => {
    const bytes = ggufFile({ 'general.architecture': 'flux', 'general.name': 'Flux Dev Q4', 'general.organization': 'Black Forest Labs', 'general.tags': ['image', 'flux'] });
    expect((await contributionOf('flux.gguf', bytes))!.fields).toMatchObject({ name: 'Flux Dev Q4', baseModel: 'Flux.1 D', creator: 'Black Forest Labs', type: 'Checkpoint', tags: ['image', 'flux'] });
  });

  it('a model nobody knows shows what its header says and stays minimal with the reason', async () => {
    const bytes = safetensorsFile({ tensors: ['lora_unet_x.lora_down.weight'], metadata: { ss_output_name: 'secret', ss_base_model_version: 'sd_v1' } });
    const metadata = mergeMetadata([{ source: 'civitai', fields: {}, note: NOT_ON_CIVITAI }, (await contributionOf('secret.safetensors', bytes))!], new Date(0));
    expect(metadata).toMatchObject({ name: 'secret', type: 'LORA', baseModel: 'SD 1.5', completeness: 'minimal' });
    expect(metadata.missing).toContain(NOT_ON_CIVITAI);
  });

  it('other formats, unreadable or hostile headers say nothing', async () => {
    expect(await contributionOf('x.ckpt', Buffer.from('pickle'))).toBeNull();
    expect(await contributionOf('bad.safetensors', Buffer.from('garbage garbage garbage'))).toBeNull();
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(BigInt(2) ** BigInt(40));
    expect(await contributionOf('huge.safetensors', huge)).toBeNull();
    expect(await headerContribution(fs, path.join(root, 'absent.safetensors'), 0)).toBeNull();
  });

  it('maps base model words and ignores tag frequencies that are not JSON', () => {
    expect(['flux1', 'flux-schnell', 'sd3', 'sdxl_base_v1-0', 'sd_v2', 'sd_v1', 'unknown', null].map(baseModelOfHeader)).toEqual(['Flux.1 D', 'Flux.1 S', 'SD 3.5', 'SDXL 1.0', 'SD 2.1', 'SD 1.5', null, null]);
    expect(topTrainingTags('{nope')).toEqual([]);
    expect(topTrainingTags('[1]')).toEqual([]);
    expect(topTrainingTags(undefined)).toEqual([]);
  });
});
