/**
 * What a model file is, from its own bytes: the tensor names of a safetensors header (and its
 * `__metadata__`), or a GGUF file's `general.architecture`. The file name only breaks ties — when
 * the header is unreadable or matches no known layout. Each answer carries its evidence in words.
 */
import { classifyByName } from './classify-by-name';
import type { GgufMetadata } from './gguf-metadata';
import { ggufString } from './gguf-metadata';
import type { ModelClass, ModelClassification } from './model-class';
import type { SafetensorsHeader } from './safetensors-header';

/** GGUF architectures ComfyUI-GGUF loads as text encoders (CLIPLoaderGGUF). */
const GGUF_TEXT_ENCODER_ARCHITECTURES =
  /^(llama|qwen2|qwen2vl|qwen25vl|qwen3|t5|t5encoder|gemma\d*|mistral\d*|clip)$/;
/** GGUF architectures ComfyUI-GGUF loads as diffusion models (UnetLoaderGGUF). */
const GGUF_DIFFUSION_ARCHITECTURES =
  /^(flux|sd1|sdxl|sd3|aura|hidream|cosmos|ltxv|hyvid|wan|lumina2|qwen_image|chroma)$/;

interface Rule {
  modelClass: ModelClass;
  /** True when the tensor names (and metadata) say this kind; returns the evidence. */
  test(names: TensorNames, metadata: Record<string, string>): string | null;
}

/** Tensor names with quick prefix and pattern checks; bounded so a hostile header costs little. */
class TensorNames {
  constructor(readonly names: string[]) {}
  withPrefix(prefix: string): boolean {
    return this.names.some((name) => name.startsWith(prefix));
  }
  matching(pattern: RegExp): string | null {
    return this.names.find((name) => pattern.test(name)) ?? null;
  }
  allMatch(pattern: RegExp): boolean {
    return this.names.length > 0 && this.names.every((name) => pattern.test(name));
  }
}

function shown(name: string): string {
  return name.length > 60 ? `${name.slice(0, 60)}…` : name;
}

/** Checked in order: the first that matches decides (a ControlNet for Flux also has transformer blocks). */
const SAFETENSORS_RULES: Rule[] = [
  {
    modelClass: 'lora',
    test(names, metadata) {
      if (metadata.ss_network_module)
        return `metadata ss_network_module "${shown(metadata.ss_network_module)}": a LoRA`;
      const hit = names.matching(
        /(^|\.)lora_(unet|te\d*|transformer)_|\.lora_[ab]\.|\.lora_(down|up)\.|\.lora\.(down|up)\.|\.(hada|lokr)_w\d/i,
      );
      return hit ? `tensor names like ${shown(hit)}: a LoRA` : null;
    },
  },
  {
    modelClass: 'embedding',
    test(names) {
      const embeddingKeys =
        /^(emb_params|clip_l|clip_g|string_to_param(\..*)?|string_to_token|name|step)$/;
      return names.names.length <= 6 &&
        names.allMatch(embeddingKeys) &&
        names.matching(/^(emb_params|clip_[lg]|string_to_param)/)
        ? `tensor names ${names.names.slice(0, 3).join(', ')}: a textual-inversion embedding`
        : null;
    },
  },
  {
    modelClass: 'controlnet',
    test(names) {
      const hit = names.matching(
        /^control_model\.|^controlnet_|(^|\.)zero_convs\.|^input_hint_block\.|controlnet_cond_embedding/,
      );
      return hit ? `tensor names like ${shown(hit)}: a ControlNet` : null;
    },
  },
  {
    modelClass: 'ipadapter',
    test(names) {
      return names.withPrefix('image_proj.') && names.withPrefix('ip_adapter.')
        ? 'tensor names image_proj.* and ip_adapter.*: an IPAdapter'
        : null;
    },
  },
  {
    modelClass: 'motion_module',
    test(names) {
      const hit = names.matching(/(^|\.)motion_modules\./);
      return hit ? `tensor names like ${shown(hit)}: an AnimateDiff motion module` : null;
    },
  },
  {
    modelClass: 'checkpoint',
    test(names) {
      if (!names.withPrefix('model.diffusion_model.')) return null;
      const parts = [
        names.withPrefix('first_stage_model.') || names.withPrefix('vae.')
          ? 'first_stage_model.* (VAE)'
          : null,
        names.withPrefix('cond_stage_model.') ||
        names.withPrefix('conditioner.') ||
        names.withPrefix('text_encoders.')
          ? 'cond_stage_model.*/conditioner.* (text encoder)'
          : null,
      ].filter((part) => part !== null);
      return parts.length > 0
        ? `tensor names model.diffusion_model.* with ${parts.join(' and ')}: a full checkpoint`
        : null;
    },
  },
  {
    modelClass: 'diffusion_model',
    test(names) {
      const strip = (name: string) => name.replace(/^model\.diffusion_model\./, '');
      const stripped = new TensorNames(names.names.map(strip));
      if (stripped.withPrefix('double_blocks.') || stripped.withPrefix('single_blocks.'))
        return 'tensor names double_blocks.*/single_blocks.*: a Flux diffusion model';
      if (stripped.withPrefix('joint_blocks.'))
        return 'tensor names joint_blocks.*: an SD3 diffusion model';
      if (stripped.withPrefix('input_blocks.') && stripped.withPrefix('output_blocks.'))
        return 'tensor names input_blocks.*/output_blocks.* without VAE or text encoder: a bare UNet diffusion model';
      if (stripped.withPrefix('transformer_blocks.'))
        return 'tensor names transformer_blocks.*: a diffusion transformer';
      if (
        stripped.withPrefix('down_blocks.') &&
        stripped.withPrefix('up_blocks.') &&
        stripped.withPrefix('time_embedding.')
      )
        return 'tensor names down_blocks.*/up_blocks.*/time_embedding.*: a diffusers UNet';
      if (
        stripped.matching(/^blocks\.\d+\.(self_attn|cross_attn)\./) &&
        stripped.withPrefix('patch_embedding.')
      )
        return 'tensor names blocks.*.self_attn and patch_embedding: a Wan diffusion model';
      if (
        stripped.matching(/^(layers|noise_refiner|context_refiner)\.\d+\./) &&
        (stripped.withPrefix('x_embedder.') || stripped.withPrefix('t_embedder.'))
      )
        return 'tensor names layers.* with x_embedder/t_embedder: a diffusion transformer';
      if (names.withPrefix('model.diffusion_model.'))
        return 'tensor names model.diffusion_model.* without VAE or text encoder: a bare diffusion model';
      return null;
    },
  },
  {
    modelClass: 'audio_encoder',
    test(names) {
      const hit = names.matching(/(^|\.)(feature_extractor\.conv_layers|feature_projection)\./);
      return hit ? `tensor names like ${shown(hit)}: an audio encoder (wav2vec2)` : null;
    },
  },
  {
    modelClass: 'text_encoder',
    test(names) {
      const hit = names.matching(
        /^(model\.layers\.|model\.embed_tokens|encoder\.block\.|text_model\.|shared\.weight|transformer\.resblocks\.|language_model\.|model\.language_model\.|text_projection|encoder\.embed_tokens|lm_head)/,
      );
      return hit ? `tensor names like ${shown(hit)}: a text encoder` : null;
    },
  },
  {
    modelClass: 'clip_vision',
    test(names) {
      const hit = names.matching(/^(vision_model\.|visual\.)/);
      return hit ? `tensor names like ${shown(hit)}: a CLIP vision encoder` : null;
    },
  },
  {
    modelClass: 'style_model',
    test(names) {
      return names.withPrefix('redux_up.') || names.withPrefix('redux_down.')
        ? 'tensor names redux_up/redux_down: a Flux Redux style model'
        : null;
    },
  },
  {
    modelClass: 'sam',
    test(names) {
      return names.withPrefix('image_encoder.') && names.withPrefix('mask_decoder.')
        ? 'tensor names image_encoder.*/mask_decoder.*: a Segment Anything model'
        : null;
    },
  },
  {
    modelClass: 'vae',
    test(names) {
      const vaeKeys =
        /^(first_stage_model\.)?(encoder|decoder|quant_conv|post_quant_conv|conv1|conv2)(\.|$)/;
      if (!names.allMatch(vaeKeys)) return null;
      return names.matching(/^(first_stage_model\.)?encoder\./)
        ? 'tensor names only encoder.*/decoder.*: a VAE'
        : 'tensor names only decoder.*: a VAE decoder';
    },
  },
  {
    modelClass: 'upscaler',
    test(names) {
      const hit = names.matching(
        /^(model\.0\.weight|conv_first\.|body\.\d+\.|RRDB_trunk\.|upconv1\.|conv_up1\.)/,
      );
      return hit ? `tensor names like ${shown(hit)}: an ESRGAN-style upscaler` : null;
    },
  },
];

/** The first rule's answer, from the bytes alone (null class when none applies). */
export function classifySafetensorsHeader(header: SafetensorsHeader): ModelClassification {
  const names = new TensorNames([...header.tensors.keys()]);
  for (const rule of SAFETENSORS_RULES) {
    const evidence = rule.test(names, header.metadata);
    if (evidence) return { modelClass: rule.modelClass, basis: 'header', evidence };
  }
  const sample = names.names.slice(0, 3).map(shown).join(', ');
  return {
    modelClass: null,
    basis: null,
    evidence:
      names.names.length === 0
        ? 'its header lists no tensors'
        : `tensor names (${sample}, …) match no known kind`,
  };
}

export function classifyGgufMetadata(metadata: GgufMetadata): ModelClassification {
  const architecture = ggufString(metadata, 'general.architecture')?.toLowerCase() ?? null;
  if (architecture === null)
    return {
      modelClass: null,
      basis: null,
      evidence: 'its GGUF metadata has no general.architecture',
    };
  if (GGUF_TEXT_ENCODER_ARCHITECTURES.test(architecture)) {
    return {
      modelClass: 'text_encoder',
      basis: 'header',
      evidence: `GGUF general.architecture "${architecture}": a text encoder (CLIPLoaderGGUF)`,
    };
  }
  if (GGUF_DIFFUSION_ARCHITECTURES.test(architecture)) {
    return {
      modelClass: 'diffusion_model',
      basis: 'header',
      evidence: `GGUF general.architecture "${architecture}": a diffusion model (UnetLoaderGGUF)`,
    };
  }
  return {
    modelClass: null,
    basis: null,
    evidence: `GGUF general.architecture "${architecture.slice(0, 40)}" is not one ComfyUI loads`,
  };
}

/**
 * The kind of a file from whatever was read of it: the header's answer, else its name's. When the
 * header decides, a name that says otherwise is noted in the evidence but does not change it.
 */
export function classifyModelFile(input: {
  fileName: string;
  safetensors?: SafetensorsHeader | null;
  gguf?: GgufMetadata | null;
  /** Why the header could not be read, shown when the name decides instead. */
  unreadable?: string | null;
}): ModelClassification {
  const byHeader = input.safetensors
    ? classifySafetensorsHeader(input.safetensors)
    : input.gguf
      ? classifyGgufMetadata(input.gguf)
      : null;
  if (byHeader?.modelClass) return byHeader;
  const byName = classifyByName(input.fileName);
  const why = byHeader?.evidence ?? input.unreadable ?? null;
  if (byName.modelClass)
    return { ...byName, evidence: why ? `${byName.evidence} (${why})` : byName.evidence };
  return {
    modelClass: null,
    basis: null,
    evidence: why ? `${why}; ${byName.evidence}` : byName.evidence,
  };
}
