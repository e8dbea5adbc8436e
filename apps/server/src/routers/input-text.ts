/**
 * Text a client sends: refused with a clear 400 when it holds a control character (NUL, line
 * breaks, DEL, C1) or, in names, a bidirectional override that makes a name read differently from
 * what is written. PostgreSQL cannot store NUL at all; none of these belong in an id, URL or name.
 */
import type { z } from 'zod';
import { describeCharacter } from '@modeldock/engine';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const BIDI_OVERRIDE = /[\u202a-\u202e\u2066-\u2069]/u;

function firstMatch(text: string, pattern: RegExp): string | null {
  let position = 0;
  for (const character of text) {
    position += 1;
    if (pattern.test(character))
      return `${describeCharacter(character.codePointAt(0) ?? 0)} at position ${position}`;
  }
  return null;
}

/** Refuses control characters in `label`'s text, naming the first one and where it is. */
export function withoutControlCharacters<T extends z.ZodType<string>>(schema: T, label: string) {
  return schema.superRefine((text, ctx) => {
    const found = firstMatch(text, CONTROL);
    if (found)
      ctx.addIssue({
        code: 'custom',
        message: `${label} must not contain control characters: it has ${found}`,
      });
  });
}

/** A file or folder name: no control characters and no bidirectional overrides. */
export function plainName<T extends z.ZodType<string>>(schema: T, label: string) {
  return withoutControlCharacters(schema, label).superRefine((text, ctx) => {
    const found = firstMatch(text, BIDI_OVERRIDE);
    if (found) {
      ctx.addIssue({
        code: 'custom',
        message: `${label} must not contain bidirectional override characters (they make a name read differently from what it is): it has ${found}`,
      });
    }
  });
}
