import { describe, expect, it } from 'vitest';
import { authoritativePathDecision, civitaiFolderDecision, createCivitaiResolver, decideFolder, parseCivitaiInput } from '@modeldock/engine';

const CIVITAI = 'https://civitai.com';

describe('Civitai inputs: every form a user copies', () => {
  it.each([
    ['https://civitai.com/models/827184', { modelId: 827184, versionId: null, fileChoice: {} }],
    ['https://civitai.com/models/827184/wai-illustrious-sdxl?modelVersionId=2514310', { modelId: 827184, versionId: 2514310 }],
    ['civitai.com/models/827184?modelVersionId=2514310', { modelId: 827184, versionId: 2514310 }],
    ['https://civitai.green/models/5', { modelId: 5 }],
    ['https://civitai.com/model-versions/2514310', { modelId: null, versionId: 2514310 }],
    ['https://civitai.com/api/download/models/2514310', { versionId: 2514310, fileChoice: {} }],
    [
      'https://civitai.com/api/download/models/2514310?type=Model&format=SafeTensor&size=pruned&fp=fp16&token=abc',
      { versionId: 2514310, fileChoice: { type: 'Model', format: 'SafeTensor', size: 'pruned', fp: 'fp16' } },
    ],
    ['https://civitai.com/api/download/models/9?fileId=77', { versionId: 9, fileChoice: { fileId: 77 } }],
    ['https://civitai.com/api/v1/models/123', { modelId: 123 }],
    ['https://civitai.com/api/v1/model-versions/456', { versionId: 456 }],
    ['urn:air:sdxl:checkpoint:civitai:827184@2514310', { modelId: 827184, versionId: 2514310, fileChoice: {} }],
    ['urn:air:sdxl:lora:civitai:328553@368189.safetensors', { modelId: 328553, versionId: 368189, fileChoice: { format: 'SafeTensor' } }],
    ['urn:air:flux1:checkpoint:civitai:618692', { modelId: 618692, versionId: null }],
    ['civitai:123', { modelId: 123, versionId: null }],
    ['civitai:123@456', { modelId: 123, versionId: 456 }],
    ['civitai:version/456', { modelId: null, versionId: 456 }],
  ])('%s', (input, expected) => {
    expect(parseCivitaiInput(input, CIVITAI)).toMatchObject(expected);
  });

  it('a bare number is AMBIGUOUS_INPUT with both ways to say it', () => {
    expect(() => parseCivitaiInput('2514310', CIVITAI)).toThrowError(
      expect.objectContaining({ code: 'AMBIGUOUS_INPUT', message: expect.stringContaining('civitai:version/2514310') }),
    );
  });

  it.each([
    ['https://civitai.com/models/abc', 'INVALID_INPUT'],
    ['https://civitai.com/models/99999999999', 'INVALID_INPUT'],
    ['https://civitai.com/models/0', 'INVALID_INPUT'],
    ['https://civitai.com/user/someone', 'UNRECOGNISED_INPUT'],
    ['https://civitai.com/images/123', 'UNRECOGNISED_INPUT'],
    ['civitai:latest', 'UNRECOGNISED_INPUT'],
    ['https://example.com/models/1', 'UNRECOGNISED_INPUT'],
  ])('%s → %s', (input, code) => {
    expect(() => parseCivitaiInput(input, CIVITAI)).toThrowError(expect.objectContaining({ code }));
  });

  const resolver = createCivitaiResolver({ endpoint: 'http://127.0.0.1:9' });
  it.each(['https://civitai.com/models/1', 'civitai.com/models/1', 'civitai:1', 'urn:air:sd1:lora:civitai:1@2', '123', 'http://127.0.0.1:9/models/1'])(
    'the resolver accepts %s',
    (input) => expect(resolver.accepts(input)).toBe(true),
  );
  it.each(['https://huggingface.co/org/name', 'org/name', 'https://example.com/x.bin', 'preset:z-image-turbo'])('leaves %s to others', (input) =>
    expect(resolver.accepts(input)).toBe(false),
  );
});

describe('ComfyUI folders', () => {
  it.each([
    ['Checkpoint', 'Model', 'SafeTensor', 'checkpoints'],
    ['Checkpoint', 'Model', 'GGUF', 'diffusion_models'],
    ['Checkpoint', 'VAE', 'SafeTensor', 'vae'],
    ['Checkpoint', 'Text Encoder', 'SafeTensor', 'text_encoders'],
    ['Checkpoint', 'UNet', 'SafeTensor', 'diffusion_models'],
    ['Checkpoint', 'Config', 'Other', null],
    ['LORA', 'Model', 'SafeTensor', 'loras'],
    ['LoCon', 'Model', 'SafeTensor', 'loras'],
    ['DoRA', 'Model', 'SafeTensor', 'loras'],
    ['TextualInversion', 'Model', 'PickleTensor', 'embeddings'],
    ['TextualInversion', 'Negative', 'SafeTensor', 'embeddings'],
    ['Hypernetwork', 'Model', 'PickleTensor', 'hypernetworks'],
    ['Controlnet', 'Model', 'SafeTensor', 'controlnet'],
    ['Upscaler', 'Model', 'PickleTensor', 'upscale_models'],
    ['VAE', 'Model', 'SafeTensor', 'vae'],
    ['MotionModule', 'Model', 'SafeTensor', 'animatediff_models'],
    ['Detection', 'Model', 'PickleTensor', 'ultralytics/bbox'],
    ['Poses', 'Model', 'Other', null],
    ['Other', 'Model', 'SafeTensor', null],
    ['AestheticGradient', 'Model', 'PickleTensor', null],
    ['Checkpoint', 'Training Data', 'Other', null],
    ['Checkpoint', 'CLIPVision', 'SafeTensor', 'clip_vision'],
    ['Wildcards', 'Archive', 'Other', null],
    ['Brand New Type', 'Model', 'SafeTensor', null],
  ])('%s / %s / %s → %s', (modelType, fileType, format, folder) => {
    expect(civitaiFolderDecision(modelType, fileType, format, 'file.safetensors').folder).toBe(folder);
  });

  it('a detector named "-seg" goes to ultralytics/segm', () => {
    expect(civitaiFolderDecision('Detection', 'Model', 'PickleTensor', 'face_yolov8m-seg.pt').folder).toBe('ultralytics/segm');
  });

  it.each([
    ['split_files/diffusion_models/qwen_image_fp8.safetensors', 'diffusion_models'],
    ['split_files/text_encoders/umt5_xxl_fp8.safetensors', 'text_encoders'],
    ['vae/diffusion_pytorch_model.safetensors', 'vae'],
    ['transformer/diffusion_pytorch_model-00001-of-00003.safetensors', 'diffusion_models'],
    ['ae.safetensors', 'vae'],
    ['t5xxl_fp16.safetensors', 'text_encoders'],
    ['Qwen3-4B-Instruct-2507-Q8_0.gguf', 'text_encoders'],
    ['flux1-dev-Q8_0.gguf', 'diffusion_models'],
    ['pixel-art-xl-lora.safetensors', 'loras'],
    ['control_v11p_sd15_canny.pth', 'controlnet'],
    ['RealESRGAN_x4plus.pth', 'upscale_models'],
    ['sd_xl_base_1.0.safetensors', null],
    ['split_files/unet/legacy.safetensors', 'diffusion_models'],
    ['split_files/clip/legacy.safetensors', 'text_encoders'],
    ['README.md', null],
  ])('by path and name alone: %s → %s', (repoPath, folder) => {
    const fileName = repoPath.slice(repoPath.lastIndexOf('/') + 1);
    expect(decideFolder({ fileName, repoPath, authoritative: authoritativePathDecision(repoPath) }).folder).toBe(folder);
  });
});
