/**
 * A model's kind guessed from its file name: only used when its bytes cannot be read or do not
 * tell (file names only break ties). Order matters: "qwen_image_vae" is a VAE before it is Qwen.
 */
import type { ModelClass, ModelClassification } from './model-class';

const NAME_RULES: Array<[RegExp, ModelClass, string]> = [
  [/taesd|taef1|taesd3|taesdxl/i, 'vae_approx', 'a tiny preview VAE (TAESD)'],
  [/ip[-_]?adapter/i, 'ipadapter', 'an IPAdapter'],
  [/yolo.*[-_]seg|[-_]segm?([-_.]|$)/i, 'detector_segm', 'a segmentation detector'],
  [/yolo|(^|[-_])bbox([-_.]|$)/i, 'detector_bbox', 'a detector (bbox)'],
  [/wav2vec|whisper|audio[-_]?encoder/i, 'audio_encoder', 'an audio encoder'],
  [/(^|[^a-z])sam(2|_vit|_hq)|mobile[-_]?sam/i, 'sam', 'a Segment Anything model'],
  [/lora|locon|lycoris/i, 'lora', 'a LoRA'],
  [/controlnet|(^|[^a-z])control[-_]|t2i[-_]?adapter/i, 'controlnet', 'a ControlNet'],
  [/esrgan|upscal|swinir|(^|[^0-9])[248]x[-_]/i, 'upscaler', 'an upscaler'],
  [/clip[-_]?vision|siglip|image[-_]?encoder/i, 'clip_vision', 'a CLIP vision encoder'],
  [/redux|style[-_]?model/i, 'style_model', 'a style model'],
  [/(^|[^a-z0-9])(vae|ae)([^a-z0-9]|$)/i, 'vae', 'a VAE'],
  [/qwen[-_]?image|z[-_]?image/i, 'diffusion_model', 'a diffusion model'],
  [
    /t5xxl|umt5|byt5|clip[-_]?[lg]([^a-z]|$)|text[-_]?encoder|qwen|llama|gemma|mistral|llava|mmproj|instruct/i,
    'text_encoder',
    'a text encoder',
  ],
  [
    /flux|unet|(^|[^a-z])dit([^a-z]|$)|transformer|wan2|hunyuan|ltx|sd3|hidream|chroma|lumina|cosmos/i,
    'diffusion_model',
    'a diffusion model',
  ],
  [/embedding|easynegative|textual[-_]?inversion/i, 'embedding', 'an embedding'],
  [/hypernet/i, 'hypernetwork', 'a hypernetwork'],
  [/mm_sd|animatediff|motion[-_]?module/i, 'motion_module', 'an AnimateDiff motion module'],
];

export function classifyByName(fileName: string): ModelClassification {
  const name = fileName.slice(fileName.lastIndexOf('/') + 1);
  for (const [pattern, modelClass, what] of NAME_RULES) {
    const match = pattern.exec(name);
    if (match)
      return {
        modelClass,
        basis: 'name',
        evidence: `file name "${name}" (${match[0].replace(/^[^a-z0-9]+|[^a-z0-9]+$/gi, '') || match[0]}) suggests ${what}`,
      };
  }
  return {
    modelClass: null,
    basis: null,
    evidence: `file name "${name}" does not tell what it is`,
  };
}
