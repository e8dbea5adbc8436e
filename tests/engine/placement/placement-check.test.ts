import { describe, expect, it } from 'vitest';
import { placementMismatchWarning } from '@modeldock/engine';
import type { ModelClassification } from '@modeldock/engine';

const VAE_BY_HEADER: ModelClassification = {
  modelClass: 'vae',
  basis: 'header',
  evidence: 'tensor names encoder.* and decoder.* only: a VAE',
};

describe('a file whose bytes disagree with its folder', () => {
  it('is named on the job with the folder ComfyUI reads it from', () => {
    const warning = placementMismatchWarning('loras/ae.safetensors', VAE_BY_HEADER);
    expect(warning).toBe(
      'loras/ae.safetensors: its bytes say it is a vae (tensor names encoder.* and decoder.* only: a VAE), ' +
        'which ComfyUI reads from vae/, but it was saved in loras/. Move it to vae/ if a loader does not list it.',
    );
    expect(
      placementMismatchWarning('model.safetensors', {
        ...VAE_BY_HEADER,
        modelClass: 'upscaler',
      }),
    ).toContain('an upscaler');
    expect(placementMismatchWarning('model.safetensors', VAE_BY_HEADER)).toContain(
      'saved in the models folder itself',
    );
  });

  it('is fine in its folder, a subfolder of it, or its legacy name; names and repository layouts are not judged', () => {
    expect(placementMismatchWarning('vae/ae.safetensors', VAE_BY_HEADER)).toBeNull();
    expect(placementMismatchWarning('vae/flux/ae.safetensors', VAE_BY_HEADER)).toBeNull();
    const encoder: ModelClassification = { ...VAE_BY_HEADER, modelClass: 'text_encoder' };
    expect(placementMismatchWarning('clip/t5.safetensors', encoder)).toBeNull();
    expect(
      placementMismatchWarning('loras/ae.safetensors', { ...VAE_BY_HEADER, basis: 'name' }),
    ).toBeNull();
    expect(
      placementMismatchWarning('loras/x.safetensors', { ...VAE_BY_HEADER, modelClass: null }),
    ).toBeNull();
    expect(
      placementMismatchWarning(
        'diffusers/FLUX.1-schnell/vae/diffusion_pytorch_model.safetensors',
        VAE_BY_HEADER,
      ),
    ).toBeNull();
    expect(
      placementMismatchWarning('huggingface/hub/models--a--b/blobs/abc', VAE_BY_HEADER),
    ).toBeNull();
  });
});
