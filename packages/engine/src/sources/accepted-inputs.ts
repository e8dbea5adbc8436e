/**
 * The forms of input modeldock understands, with one example each, for the error a person sees when
 * what they pasted matches none of them.
 */
import { ModeldockError } from '../errors';
import { redactSecrets } from '../secrets/redact';

export const ACCEPTED_INPUT_EXAMPLES: readonly string[] = [
  'a Hugging Face file link: https://huggingface.co/leejet/Z-Image-Turbo-GGUF/blob/main/z_image_turbo-Q8_0.gguf',
  'a Hugging Face repository with file patterns: unsloth/Qwen3-4B-Instruct-2507-GGUF with include ["*Q8_0.gguf"], or hf://unsloth/Qwen3-4B-Instruct-2507-GGUF/*Q8_0.gguf',
  'a Civitai model page or download link: https://civitai.com/models/827184?modelVersionId=2514310',
  'a Civitai AIR: urn:air:sdxl:checkpoint:civitai:827184@2514310',
  'a preset: preset:z-image-turbo',
  'any direct http(s) link to a file',
];

export function describeAcceptedInputs(): string {
  return ACCEPTED_INPUT_EXAMPLES.map((example) => `- ${example}`).join('\n');
}

function shown(input: string): string {
  const line = redactSecrets(input.trim()).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

/** UNRECOGNISED_INPUT naming what was pasted and what would have worked. */
export function unrecognisedInputError(input: string, reason?: string): ModeldockError {
  const what = input.trim() === '' ? 'Nothing was pasted' : `"${shown(input)}" is not something modeldock can download`;
  return new ModeldockError(
    'UNRECOGNISED_INPUT',
    `${what}${reason ? ` (${reason})` : ''}. Paste one of:\n${describeAcceptedInputs()}`,
  );
}
