/**
 * Small but valid model files for tests: a safetensors file with chosen tensor names (each a tiny
 * U8 tensor, so the post-download format check accepts it) and a GGUF file with chosen metadata.
 * Only the header matters for classification; the tensor data is a few bytes.
 */
export type GgufTestValue = string | number | boolean | bigint | string[] | number[];

export interface SafetensorsSpec {
  tensors: string[];
  metadata?: Record<string, string>;
  /** Bytes of each tensor (default 4). */
  tensorBytes?: number;
  /** Make the file exactly this long: the first tensor takes what the others and the header leave. */
  totalSize?: number;
}

function headerJson(spec: SafetensorsSpec, sizes: number[]): string {
  const header: Record<string, unknown> = {};
  if (spec.metadata) header.__metadata__ = spec.metadata;
  let offset = 0;
  spec.tensors.forEach((name, index) => {
    header[name] = {
      dtype: 'U8',
      shape: [sizes[index]],
      data_offsets: [offset, offset + sizes[index]!],
    };
    offset += sizes[index]!;
  });
  return JSON.stringify(header);
}

export function safetensorsFile(spec: SafetensorsSpec): Buffer {
  const size = spec.tensorBytes ?? 4;
  const sizes = spec.tensors.map(() => size);
  let json = headerJson(spec, sizes);
  if (spec.totalSize !== undefined) {
    // The header's length depends on the first tensor's size digits: settle on sizes that fit.
    for (let round = 0; round < 4; round++) {
      const padded = Math.ceil(Buffer.byteLength(json) / 8) * 8;
      sizes[0] = spec.totalSize - 8 - padded - size * (sizes.length - 1);
      json = headerJson(spec, sizes);
    }
    json = json.padEnd(spec.totalSize - 8 - sizes.reduce((a, b) => a + b, 0), ' ');
  }
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const data = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  for (let index = 0; index < data.length; index++) data[index] = (index * 31) & 0xff;
  return Buffer.concat([length, Buffer.from(json), data]);
}

function ggufString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([length, bytes]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

function u64(value: number | bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
}

function ggufValue(value: GgufTestValue): Buffer {
  if (typeof value === 'string') return Buffer.concat([u32(8), ggufString(value)]);
  if (typeof value === 'boolean') return Buffer.concat([u32(7), Buffer.from([value ? 1 : 0])]);
  if (typeof value === 'bigint') return Buffer.concat([u32(10), u64(value)]);
  if (typeof value === 'number') return Buffer.concat([u32(4), u32(value)]);
  if (value.every((item) => typeof item === 'string')) {
    return Buffer.concat([
      u32(9),
      u32(8),
      u64(value.length),
      ...(value as string[]).map(ggufString),
    ]);
  }
  return Buffer.concat([
    u32(9),
    u32(5),
    u64(value.length),
    ...(value as number[]).map((item) => u32(item)),
  ]);
}

/** A GGUF v3 file: the magic, counts, the key-values in order, then `padding` filler bytes. */
export function ggufFile(
  metadata: Record<string, GgufTestValue>,
  options: { tensorCount?: number; padding?: number; totalSize?: number } = {},
): Buffer {
  const entries = Object.entries(metadata);
  const parts = [
    Buffer.from('GGUF', 'latin1'),
    u32(3),
    u64(options.tensorCount ?? 0),
    u64(entries.length),
  ];
  for (const [key, value] of entries) parts.push(ggufString(key), ggufValue(value));
  const head = Buffer.concat(parts);
  const padding =
    options.totalSize !== undefined ? options.totalSize - head.length : (options.padding ?? 32);
  return Buffer.concat([head, Buffer.alloc(padding, 7)]);
}

/** Tensor names of real files, trimmed to a few each: enough for the classifier to tell them apart. */
export const TENSORS = {
  sdCheckpoint: [
    'model.diffusion_model.input_blocks.0.0.weight',
    'first_stage_model.decoder.conv_in.weight',
    'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight',
  ],
  sdxlCheckpoint: [
    'model.diffusion_model.input_blocks.0.0.weight',
    'conditioner.embedders.0.transformer.text_model.embeddings.position_ids',
    'first_stage_model.encoder.conv_in.weight',
  ],
  fluxTransformer: [
    'double_blocks.0.img_attn.norm.key_norm.scale',
    'single_blocks.0.linear1.weight',
    'img_in.weight',
    'time_in.in_layer.weight',
  ],
  sd3Transformer: [
    'model.diffusion_model.joint_blocks.0.context_block.attn.qkv.weight',
    'model.diffusion_model.x_embedder.proj.weight',
  ],
  bareUnet: [
    'input_blocks.0.0.weight',
    'middle_block.0.in_layers.0.weight',
    'output_blocks.0.0.in_layers.0.weight',
  ],
  wanTransformer: [
    'blocks.0.self_attn.q.weight',
    'blocks.0.cross_attn.k.weight',
    'patch_embedding.weight',
    'head.head.weight',
  ],
  qwenImageTransformer: [
    'transformer_blocks.0.attn.to_q.weight',
    'img_in.weight',
    'txt_norm.weight',
  ],
  fluxVae: [
    'encoder.conv_in.weight',
    'encoder.down.0.block.0.conv1.weight',
    'decoder.conv_out.weight',
    'decoder.up.0.block.0.conv1.weight',
  ],
  sdVae: [
    'encoder.conv_in.weight',
    'decoder.conv_in.weight',
    'quant_conv.weight',
    'post_quant_conv.weight',
  ],
  t5Encoder: [
    'encoder.block.0.layer.0.SelfAttention.k.weight',
    'encoder.final_layer_norm.weight',
    'shared.weight',
  ],
  clipL: [
    'text_model.embeddings.position_embedding.weight',
    'text_model.encoder.layers.0.mlp.fc1.weight',
    'text_model.final_layer_norm.weight',
  ],
  qwenVl: [
    'model.layers.0.mlp.down_proj.weight',
    'model.embed_tokens.weight',
    'visual.blocks.0.attn.qkv.weight',
    'lm_head.weight',
  ],
  kohyaLora: [
    'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight',
    'lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight',
    'lora_unet_down_blocks_0_attentions_0_proj_in.alpha',
  ],
  peftLora: [
    'transformer.single_transformer_blocks.0.attn.to_k.lora_A.weight',
    'transformer.single_transformer_blocks.0.attn.to_k.lora_B.weight',
  ],
  embedding: ['emb_params'],
  sdxlEmbedding: ['clip_g', 'clip_l'],
  controlnet: [
    'control_model.input_blocks.0.0.weight',
    'control_model.zero_convs.0.0.weight',
    'control_model.input_hint_block.0.weight',
  ],
  fluxControlnet: [
    'controlnet_blocks.0.weight',
    'transformer_blocks.0.attn.to_q.weight',
    'controlnet_x_embedder.weight',
  ],
  esrgan: ['model.0.weight', 'model.1.sub.0.RDB1.conv1.0.weight', 'model.3.weight'],
  realEsrgan: ['conv_first.weight', 'body.0.rdb1.conv1.weight', 'conv_up1.weight'],
  clipVision: [
    'vision_model.embeddings.patch_embedding.weight',
    'vision_model.encoder.layers.0.mlp.fc1.weight',
    'visual_projection.weight',
  ],
  ipAdapter: ['image_proj.proj.weight', 'image_proj.norm.weight', 'ip_adapter.1.to_k_ip.weight'],
  wav2vec2: [
    'feature_extractor.conv_layers.0.conv.weight',
    'feature_projection.projection.weight',
    'encoder.layers.0.attention.k_proj.weight',
  ],
  redux: ['redux_up.weight', 'redux_down.weight'],
  motionModule: ['down_blocks.0.motion_modules.0.temporal_transformer.proj_in.weight'],
} as const;
