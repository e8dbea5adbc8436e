/**
 * The shape of one setting's declaration. Everything about a setting is said once, in
 * `settings.ts`: where it is read from, how its text is checked, its default, its help, whether it
 * is secret and whether the engine gets it. `--help`, validation, the config object and the README
 * tables are all derived from it.
 */
import type { z } from 'zod';

export type CredentialPlatform = 'huggingface' | 'civitai';

export interface SettingOptions<T> {
  /** The environment variable. */
  env: string;
  /** Older or common alternative names, read when `env` is unset (e.g. HF_TOKEN). */
  aliases?: readonly string[];
  /** A command-line flag; secrets never get one (a process's arguments are visible to every user). */
  flag?: `--${string}`;
  /**
   * The value when unset; a function when it depends on the machine. Without one the config holds
   * null, and an engine setting is left to the engine's own default.
   */
  default?: T | Readonly<T> | (() => T);
  /** How the default reads to a person when the value says it badly ("the host name", "64 MiB"). */
  defaultText?: string;
  /** What it does, for `--help` and the README tables (the default is appended, not repeated here). */
  help: string;
  /** Its value is never shown back, not even in an error message. */
  secret?: true;
  /** Handed to the engine as the `EngineConfig` field of the same name, only when set. */
  engine?: true;
  /** A folder: resolved against the working directory. */
  folder?: true;
  /** Goes to `config.credentials[platform]` rather than a field of its own. */
  credential?: CredentialPlatform;
  /** Also listed in the main README's short table. */
  inMainReadme?: true;
}

export interface SettingDeclaration<T = unknown> extends SettingOptions<T> {
  /** Checks the text of the variable or flag and turns it into the value. */
  schema: z.ZodType<T>;
}

/** Declares one setting; the schema fixes the type its default must have. */
export function setting<T, const O extends SettingOptions<T>>(
  schema: z.ZodType<T>,
  options: O,
): O & { schema: z.ZodType<T> } {
  return { ...options, schema };
}
