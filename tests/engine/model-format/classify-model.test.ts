import { describe, expect, it } from 'vitest';
import {
  bufferByteReader,
  classifyByName,
  classifyModelFile,
  parseGgufMetadata,
  parseSafetensorsHeader,
  probeModelFile,
} from '@modeldock/engine';
import type { ModelClass } from '@modeldock/engine';
import { TENSORS, ggufFile, safetensorsFile } from '../../support/model-bytes';

function classOf(
  tensors: readonly string[],
  metadata?: Record<string, string>,
  fileName = 'model.safetensors',
) {
  const header = parseSafetensorsHeader(safetensorsFile({ tensors: [...tensors], metadata }));
  return classifyModelFile({ fileName, safetensors: header });
}

describe('classifying a safetensors file by its tensor names', () => {
  const cases: Array<[keyof typeof TENSORS, ModelClass, RegExp]> = [
    ['sdCheckpoint', 'checkpoint', /full checkpoint/],
    ['sdxlCheckpoint', 'checkpoint', /conditioner/],
    ['fluxTransformer', 'diffusion_model', /double_blocks.*Flux diffusion model/],
    ['sd3Transformer', 'diffusion_model', /joint_blocks/],
    ['bareUnet', 'diffusion_model', /bare UNet/],
    ['wanTransformer', 'diffusion_model', /Wan/],
    ['qwenImageTransformer', 'diffusion_model', /transformer_blocks/],
    ['fluxVae', 'vae', /encoder\.\*\/decoder\.\*: a VAE/],
    ['sdVae', 'vae', /VAE/],
    ['t5Encoder', 'text_encoder', /encoder\.block/],
    ['clipL', 'text_encoder', /text_model/],
    ['qwenVl', 'text_encoder', /model\.layers/],
    ['kohyaLora', 'lora', /LoRA/],
    ['peftLora', 'lora', /lora_A/],
    ['embedding', 'embedding', /embedding/],
    ['sdxlEmbedding', 'embedding', /clip_g/],
    ['controlnet', 'controlnet', /control_model/],
    ['fluxControlnet', 'controlnet', /controlnet_/],
    ['esrgan', 'upscaler', /model\.0\.weight/],
    ['realEsrgan', 'upscaler', /conv_first/],
    ['clipVision', 'clip_vision', /vision_model/],
    ['ipAdapter', 'ipadapter', /image_proj/],
    ['wav2vec2', 'audio_encoder', /wav2vec2/],
    ['redux', 'style_model', /Redux/],
    ['motionModule', 'motion_module', /motion_modules/],
  ];
  for (const [fixture, expected, evidence] of cases) {
    it(`${fixture} → ${expected}`, () => {
      const result = classOf(TENSORS[fixture]);
      expect(result.modelClass).toBe(expected);
      expect(result.basis).toBe('header');
      expect(result.evidence).toMatch(evidence);
    });
  }

  it('the header wins over a misleading name; the name only breaks ties', () => {
    expect(classOf(TENSORS.fluxVae, undefined, 'flux1-schnell.safetensors').modelClass).toBe('vae');
    const tie = classOf(['weight'], undefined, 'taesd_decoder.safetensors');
    expect(tie).toMatchObject({ modelClass: 'vae_approx', basis: 'name' });
    expect(tie.evidence).toMatch(/taesd.*match no known kind/);
  });

  it('a kohya LoRA is told by its metadata even with unusual tensor names', () => {
    expect(classOf(['some.weight'], { ss_network_module: 'networks.lora' }).modelClass).toBe(
      'lora',
    );
  });

  it('unknown tensors and an unhelpful name give no class, with the reason', () => {
    const result = classOf(['weight', 'bias'], undefined, 'model.safetensors');
    expect(result.modelClass).toBeNull();
    expect(result.evidence).toMatch(/match no known kind/);
  });
});

describe('classifying a GGUF file by general.architecture', () => {
  const cases: Array<[string, ModelClass | null]> = [
    ['qwen3', 'text_encoder'],
    ['qwen2vl', 'text_encoder'],
    ['llama', 'text_encoder'],
    ['t5encoder', 'text_encoder'],
    ['gemma3', 'text_encoder'],
    ['flux', 'diffusion_model'],
    ['wan', 'diffusion_model'],
    ['sdxl', 'diffusion_model'],
    ['bert', null],
  ];
  for (const [architecture, expected] of cases) {
    it(`${architecture} → ${expected}`, () => {
      const gguf = parseGgufMetadata(
        ggufFile({ 'general.architecture': architecture, 'general.name': 'x' }),
      )!;
      const result = classifyModelFile({ fileName: 'weights.gguf', gguf });
      expect(result.modelClass).toBe(expected);
      expect(result.evidence).toContain(architecture);
    });
  }
});

describe('classifying by name alone', () => {
  const cases: Array<[string, ModelClass | null]> = [
    ['qwen_2.5_vl_7b_fp8_scaled.safetensors', 'text_encoder'],
    ['Qwen3-4B-Q8_0.gguf', 'text_encoder'],
    ['qwen_image_vae.safetensors', 'vae'],
    ['qwen_image_fp8_e4m3fn.safetensors', 'diffusion_model'],
    ['taesd_decoder.pth', 'vae_approx'],
    ['ip-adapter_sd15.safetensors', 'ipadapter'],
    ['yolov8m.pt', 'detector_bbox'],
    ['face_yolov8m-seg.pt', 'detector_segm'],
    ['wav2vec2_large.safetensors', 'audio_encoder'],
    ['ae.safetensors', 'vae'],
    ['4x-UltraSharp.pth', 'upscaler'],
    ['t5xxl_fp16.safetensors', 'text_encoder'],
    ['clip_vision_h.safetensors', 'clip_vision'],
    ['model.safetensors', null],
  ];
  for (const [name, expected] of cases) {
    it(`${name} → ${expected}`, () => expect(classifyByName(name).modelClass).toBe(expected));
  }
});

describe('probing a file through a ReadBytes', () => {
  it('reads a safetensors header and classifies it, whatever the file is called', async () => {
    const bytes = safetensorsFile({ tensors: [...TENSORS.fluxVae] });
    const probe = await probeModelFile(bufferByteReader(bytes), {
      fileName: 'download',
      fileSize: bytes.length,
    });
    expect(probe).toMatchObject({ format: 'safetensors', problem: null });
    expect(probe.classification.modelClass).toBe('vae');
  });

  it('reads GGUF metadata only up to general.architecture', async () => {
    const bytes = ggufFile({
      'general.architecture': 'qwen3',
      'tokenizer.ggml.tokens': Array.from({ length: 5000 }, (_, i) => `t${i}`),
    });
    let bytesRead = 0;
    const read = bufferByteReader(bytes);
    const probe = await probeModelFile(
      async (offset, length) => {
        const chunk = await read(offset, length);
        bytesRead += chunk.length;
        return chunk;
      },
      { fileName: 'Qwen3-4B-Q8_0.gguf' },
    );
    expect(probe.format).toBe('gguf');
    expect(probe.classification).toMatchObject({ modelClass: 'text_encoder', basis: 'header' });
    expect(Object.keys(probe.gguf!.metadata)).toEqual(['general.architecture']);
    expect(bytesRead).toBeLessThanOrEqual(256 * 1024);
  });

  it('falls back to the name, saying why, when the bytes are not the promised format', async () => {
    const probe = await probeModelFile(bufferByteReader(Buffer.from('<html>login</html>')), {
      fileName: 'my_lora.safetensors',
    });
    expect(probe.format).toBeNull();
    expect(probe.classification).toMatchObject({ modelClass: 'lora', basis: 'name' });
    expect(probe.problem).toMatch(/safetensors/);
  });
});
