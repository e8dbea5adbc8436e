/** Repositories and tokens shared by the Hugging Face tests, with small real bytes. */
import { createHash } from 'node:crypto';
import type { FakeHuggingFace } from '../../support/fake-huggingface';

export const APPROVED_TOKEN = 'hf_FAKEtestTOKENfor0modeldock0tests';
export const PLAIN_TOKEN = 'hf_FAKEplainTOKENnotApproved0tests';
export const OWNER_TOKEN = 'hf_FAKEownerTOKENprivateRepo0tests';
export const UNKNOWN_TOKEN = 'hf_FAKErevokedTOKENunknown000tests';

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

export function seedHub(hub: FakeHuggingFace): void {
  hub.addToken(APPROVED_TOKEN, 'approved-user');
  hub.addToken(PLAIN_TOKEN, 'plain-user');
  hub.addToken(OWNER_TOKEN, 'owner');
  hub.addRepo({
    id: 'leejet/Z-Image-Turbo-GGUF',
    files: [
      { path: 'z_image_turbo-Q8_0.gguf', content: bytesFor('z-q8', 4096) },
      { path: 'z_image_turbo-Q4_K_M.gguf', content: bytesFor('z-q4', 3000) },
      { path: 'README.md', content: '# Z-Image Turbo GGUF\n' },
      { path: '.gitattributes', content: '*.gguf filter=lfs diff=lfs merge=lfs -text\n' },
    ],
  });
  hub.addRepo({
    id: 'black-forest-labs/FLUX.1-schnell',
    files: [
      { path: 'ae.safetensors', content: bytesFor('flux-ae', 3072) },
      { path: 'flux1-schnell.safetensors', content: bytesFor('flux-model', 5000) },
      { path: 'model_index.json', content: '{"_class_name":"FluxPipeline"}' },
      { path: 'vae/config.json', content: '{"latent_channels":16}' },
      { path: 'vae/diffusion_pytorch_model.safetensors', content: bytesFor('flux-vae', 1500) },
      { path: 'text_encoder/config.json', content: '{"model_type":"clip"}' },
      { path: 'text_encoder/model.safetensors', content: bytesFor('flux-te', 1200) },
    ],
    tags: ['v1.0'],
  });
  hub.addRepo({
    id: 'unsloth/Qwen3-4B-Instruct-2507-GGUF',
    files: [
      { path: 'Qwen3-4B-Instruct-2507-Q8_0.gguf', content: bytesFor('qwen-q8', 3500) },
      { path: 'Qwen3-4B-Instruct-2507-Q4_K_M.gguf', content: bytesFor('qwen-q4', 2500) },
    ],
  });
  hub.addRepo({
    id: 'black-forest-labs/FLUX.1-dev',
    gated: true,
    allowedUsers: ['approved-user'],
    files: [{ path: 'flux1-dev.safetensors', content: bytesFor('flux-dev', 2222) }],
  });
  hub.addRepo({
    id: 'someone/private-model',
    private: true,
    allowedUsers: ['owner'],
    files: [{ path: 'weights.safetensors', content: bytesFor('private', 1111) }],
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
