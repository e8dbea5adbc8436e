/** Models, versions and keys shared by the Civitai tests, with small real bytes. */
import type { FakeCivitai } from '../../support/fake-civitai';
import { bytesFor, modelFile } from './hf-fixtures';

export const CIVITAI_KEY = 'civitaiFAKEkey0for0modeldock0tests0123456789';
export const BUYER_KEY = 'civitaiFAKEbuyer0key0for0modeldock0tests0000';
export const BLOCKED_KEY = 'civitaiFAKEblocked0key0modeldock0tests000000';
export const UNKNOWN_KEY = 'civitaiFAKEunknown0key0modeldock0tests000000';

export function seedCivitai(civitai: FakeCivitai): void {
  civitai.addApiKey(CIVITAI_KEY, 'tester');
  civitai.addApiKey(BUYER_KEY, 'buyer');
  civitai.addApiKey(BLOCKED_KEY, 'blocked');
  civitai.blockUser('blocked');
  civitai.addModel({
    id: 827184,
    name: 'WAI-illustrious-SDXL',
    type: 'Checkpoint',
    versions: [
      {
        id: 2514310,
        name: 'v16.0',
        files: [
          { id: 2402203, name: 'waiIllustriousSDXL_v160.safetensors', content: modelFile('waiIllustriousSDXL_v160.safetensors', 'wai-160', 3072), size: 'pruned', fp: 'fp16', primary: true },
          { id: 2402204, name: 'waiIllustriousSDXL_v160_fp32.safetensors', content: modelFile('waiIllustriousSDXL_v160_fp32.safetensors', 'wai-160-fp32', 4096), size: 'full', fp: 'fp32' },
          { id: 2402205, name: 'sdxl_vae.safetensors', type: 'VAE', content: modelFile('sdxl_vae.safetensors', 'wai-vae', 1024), size: 'full', fp: 'fp16' },
          { id: 2402206, name: 'waiIllustriousSDXL_v160.yaml', type: 'Config', format: 'Other', content: 'model: {}\n' },
        ],
      },
      { id: 2000000, name: 'v15.0', files: [{ id: 1900000, name: 'waiIllustriousSDXL_v150.safetensors', content: modelFile('waiIllustriousSDXL_v150.safetensors', 'wai-150'), size: 'pruned', fp: 'fp16' }] },
    ],
  });
  civitai.addModel({ id: 100, name: 'Cool LoRA', type: 'LORA', versions: [{ id: 101, requireAuth: true, files: [{ id: 1011, name: 'cool_lora.safetensors', content: modelFile('cool_lora.safetensors', 'lora') }] }] });
  civitai.addModel({
    id: 200,
    name: 'Early Bird',
    type: 'Checkpoint',
    versions: [{ id: 201, earlyAccessEndsAt: '2099-01-02T03:04:05.000Z', earlyAccessUsers: ['buyer'], files: [{ id: 2011, name: 'early.safetensors', content: modelFile('early.safetensors', 'early') }] }],
  });
  civitai.addModel({ id: 300, name: 'Old Model', type: 'Checkpoint', mode: 'Archived', versions: [{ id: 301, files: [{ id: 3011, name: 'old.safetensors', content: modelFile('old.safetensors', 'old') }] }] });
  civitai.addModel({ id: 310, name: 'Soon Archived', type: 'Checkpoint', versions: [{ id: 311, files: [{ id: 3111, name: 'soon.safetensors', content: modelFile('soon.safetensors', 'soon') }] }] });
  civitai.addModel({ id: 400, name: 'No Downloads', type: 'LORA', versions: [{ id: 401, downloadsDisabled: true, files: [{ id: 4011, name: 'nope.safetensors', content: modelFile('nope.safetensors', 'nope') }] }] });
  civitai.addModel({ id: 500, name: 'Members Only', type: 'LORA', versions: [{ id: 501, allowedUsers: ['vip'], files: [{ id: 5011, name: 'vip.safetensors', content: modelFile('vip.safetensors', 'vip') }] }] });
  civitai.addModel({
    id: 600,
    name: 'Flux GGUF',
    type: 'Checkpoint',
    versions: [
      {
        id: 601,
        files: [
          { id: 6011, name: 'flux-Q8_0.gguf', format: 'GGUF', quantType: 'Q8_0', content: modelFile('flux-Q8_0.gguf', 'gguf-q8'), primary: true },
          { id: 6012, name: 'flux-Q4_K_M.gguf', format: 'GGUF', quantType: 'Q4_K_M', content: modelFile('flux-Q4_K_M.gguf', 'gguf-q4') },
        ],
      },
    ],
  });
  civitai.addModel({
    id: 700,
    name: 'Hostile Embedding',
    type: 'TextualInversion',
    versions: [{ id: 701, files: [{ id: 7011, name: '../../evil<name>\u0000\u202e.pt', format: 'PickleTensor', pickleScanResult: 'Dan\u0000ger', content: bytesFor('evil') }] }],
  });
  civitai.addModel({ id: 800, name: 'Rounded', type: 'LoCon', versions: [{ id: 801, files: [{ id: 8011, name: 'rounded.safetensors', content: modelFile('rounded.safetensors', 'rounded', 3001), roundSizeKB: true }] }] });
  civitai.addModel({ id: 900, name: 'Upscaler', type: 'Upscaler', versions: [{ id: 901, files: [{ id: 9011, name: '4x_upscaler.pth', format: 'PickleTensor', content: bytesFor('upscale') }] }] });
  civitai.addModel({ id: 1000, name: 'A VAE', type: 'VAE', versions: [{ id: 1001, files: [{ id: 10011, name: 'nice_vae.safetensors', content: modelFile('nice_vae.safetensors', 'vae') }] }] });
  civitai.addModel({ id: 1100, name: 'Canny', type: 'Controlnet', versions: [{ id: 1101, files: [{ id: 11011, name: 'canny.safetensors', content: modelFile('canny.safetensors', 'canny') }] }] });
  civitai.addModel({
    id: 1200,
    name: 'Twins',
    type: 'Checkpoint',
    versions: [
      {
        id: 1201,
        files: [
          { id: 12011, name: 'twin_a.safetensors', content: modelFile('twin_a.safetensors', 'twin-a'), size: 'pruned', fp: 'fp16', primary: true },
          { id: 12012, name: 'twin_b.safetensors', content: modelFile('twin_b.safetensors', 'twin-b'), size: 'pruned', fp: 'fp16' },
        ],
      },
    ],
  });
}
