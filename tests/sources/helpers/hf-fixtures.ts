/** Repositories and tokens shared by the Hugging Face tests, with small real bytes. */
import { createHash } from 'node:crypto';
import type { FakeHuggingFace } from '../../support/fake-huggingface';
import { TENSORS, ggufFile, safetensorsFile } from '../../support/model-bytes';

/**
 * A model file of a known kind, `size` bytes long, distinct per label: safetensors with the tensor
 * names of a real file of that kind, or GGUF with that `general.architecture`.
 */
export function typedModelFile(
  kind: keyof typeof TENSORS | { gguf: string },
  label: string,
  size = 2048,
): Buffer {
  if (typeof kind === 'object')
    return ggufFile(
      { 'general.architecture': kind.gguf, 'general.name': label },
      { totalSize: size },
    );
  return safetensorsFile({ tensors: [...TENSORS[kind]], metadata: { label }, totalSize: size });
}

export const APPROVED_TOKEN = 'hf_FAKEtestTOKEN0modeldock';
export const PLAIN_TOKEN = 'hf_FAKEplainTOKEN0notApproved';
export const OWNER_TOKEN = 'hf_FAKEownerTOKEN0privateRepo';
export const UNKNOWN_TOKEN = 'hf_FAKErevokedTOKEN0unknown0';

/** Distinct deterministic bytes per label. */
export function bytesFor(label: string, size = 2048): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(label).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/**
 * Bytes that pass the engine's format check for their extension: a safetensors file whose header
 * describes exactly the data after it, a GGUF v3 header; anything else is plain bytes.
 */
export function modelFile(name: string, label: string, size = 2048): Buffer {
  const lower = name.toLowerCase();
  if (lower.endsWith('.safetensors') || lower.endsWith('.sft')) {
    let dataBytes = size - 8;
    let header = '';
    for (let round = 0; round < 4; round++) {
      header = JSON.stringify({
        __metadata__: { label },
        weight: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] },
      });
      dataBytes = size - 8 - header.length;
    }
    const headerBytes = Buffer.from(header.padEnd(size - 8 - dataBytes, ' '));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(headerBytes.length));
    return Buffer.concat([length, headerBytes, bytesFor(label, dataBytes)]);
  }
  if (lower.endsWith('.gguf')) {
    const head = Buffer.alloc(24);
    head.write('GGUF', 0, 'latin1');
    head.writeUInt32LE(3, 4);
    return Buffer.concat([head, bytesFor(label, size - head.length)]);
  }
  return bytesFor(label, size);
}

export function seedHub(hub: FakeHuggingFace): void {
  hub.addToken(APPROVED_TOKEN, 'approved-user');
  hub.addToken(PLAIN_TOKEN, 'plain-user');
  hub.addToken(OWNER_TOKEN, 'owner');
  hub.addRepo({
    id: 'leejet/Z-Image-Turbo-GGUF',
    files: [
      {
        path: 'z_image_turbo-Q8_0.gguf',
        content: typedModelFile({ gguf: 'lumina2' }, 'z-q8', 4096),
      },
      {
        path: 'z_image_turbo-Q4_K_M.gguf',
        content: typedModelFile({ gguf: 'lumina2' }, 'z-q4', 3000),
      },
      { path: 'README.md', content: '# Z-Image Turbo GGUF\n' },
      { path: '.gitattributes', content: '*.gguf filter=lfs diff=lfs merge=lfs -text\n' },
    ],
  });
  hub.addRepo({
    id: 'black-forest-labs/FLUX.1-schnell',
    files: [
      { path: 'ae.safetensors', content: typedModelFile('fluxVae', 'flux-ae', 3072) },
      {
        path: 'flux1-schnell.safetensors',
        content: typedModelFile('fluxTransformer', 'flux-model', 5000),
      },
      { path: 'model_index.json', content: '{"_class_name":"FluxPipeline"}' },
      { path: 'README.md', content: '# FLUX.1 [schnell]\n' },
      { path: 'schnell_grid.jpeg', content: bytesFor('grid', 300) },
      { path: 'vae/config.json', content: '{"latent_channels":16}' },
      {
        path: 'vae/diffusion_pytorch_model.safetensors',
        content: typedModelFile('sdVae', 'flux-vae', 1500),
      },
      { path: 'text_encoder/config.json', content: '{"model_type":"clip"}' },
      { path: 'text_encoder/model.safetensors', content: typedModelFile('clipL', 'flux-te', 1200) },
    ],
    tags: ['v1.0'],
  });
  hub.addRepo({
    id: 'unsloth/Qwen3-4B-Instruct-2507-GGUF',
    files: [
      {
        path: 'Qwen3-4B-Instruct-2507-Q8_0.gguf',
        content: typedModelFile({ gguf: 'qwen3' }, 'qwen-q8', 3500),
      },
      {
        path: 'Qwen3-4B-Instruct-2507-Q4_K_M.gguf',
        content: typedModelFile({ gguf: 'qwen3' }, 'qwen-q4', 2500),
      },
    ],
  });
  hub.addRepo({
    id: 'black-forest-labs/FLUX.1-dev',
    gated: true,
    allowedUsers: ['approved-user'],
    files: [
      {
        path: 'flux1-dev.safetensors',
        content: typedModelFile('fluxTransformer', 'flux-dev', 2222),
      },
    ],
  });
  hub.addRepo({
    id: 'someone/private-model',
    private: true,
    allowedUsers: ['owner'],
    files: [
      { path: 'weights.safetensors', content: modelFile('weights.safetensors', 'private', 1111) },
    ],
  });
  hub.addRepo({
    id: 'someone/data',
    type: 'dataset',
    files: [
      { path: 'train.parquet', content: bytesFor('train', 900) },
      { path: 'empty.txt', content: '' },
    ],
  });
  hub.addRepo({
    id: 'someone/pickles',
    files: [{ path: 'pytorch_model.bin', content: bytesFor('pickle', 700) }],
  });
}
