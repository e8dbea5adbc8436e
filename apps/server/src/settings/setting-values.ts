/**
 * Parsers for settings' text (an environment variable or a flag): each error message says what is
 * expected and never echoes a secret.
 */
import { z } from 'zod';
import { findCharacterNotAllowedInKey, isValidNodeName } from '@modeldock/engine';
import { decodeSecretKeyText } from '../secrets/secret-key-source';

export function wholeNumber(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `must be a whole number from ${min} to ${max}`)
        .max(max, `must be a whole number from ${min} to ${max}`),
    );
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  '1': true,
  true: true,
  yes: true,
  on: true,
  '0': false,
  false: false,
  no: false,
  off: false,
};

export const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => value in BOOLEAN_WORDS, 'must be 1/true/yes/on or 0/false/no/off')
  .transform((value) => BOOLEAN_WORDS[value]!);

export const nonEmptyPath = z.string().trim().min(1, 'must not be empty');

export const hostName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .regex(
    /^[A-Za-z0-9.:\-[\]%]+$/,
    'must be an IP address or a host name such as 127.0.0.1, 0.0.0.0 or localhost',
  )
  // `[::1]` as written in a URL is the address ::1.
  .transform((value) => value.replace(/^\[(.*)\]$/, '$1'));

export const databaseUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const parsed = new URL(value);
      return (
        (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') &&
        parsed.hostname !== ''
      );
    } catch {
      return false;
    }
  }, 'must be a PostgreSQL connection string such as postgres://127.0.0.1:5432/modeldock (add user and password as usual)');

export const originList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine((origin) => {
        try {
          const parsed = new URL(origin);
          return (
            (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
            parsed.origin === origin.replace(/\/$/, '')
          );
        } catch {
          return false;
        }
      }, 'must be origins such as http://localhost:5173 (scheme, host and port only), separated by commas'),
    ),
  )
  .transform((origins) => origins.map((origin) => new URL(origin).origin));

export const hostNameList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(
          /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/,
          'must be host names such as gpu-box.lan (no scheme, port or path), separated by commas',
        ),
    ),
  );

export const endpointUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const parsed = new URL(value);
      return (
        (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
        !parsed.username &&
        !parsed.password
      );
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://huggingface.co (no user or password in it)')
  .transform((value) => value.replace(/\/+$/, ''));

const secretValue = z.string().trim().min(1, 'must not be empty');

/** A hub key or token: it travels in an HTTP header, so visible ASCII only, and the message says where. */
export const keyValue = secretValue.superRefine((key, ctx) => {
  const refused = findCharacterNotAllowedInKey(key);
  if (refused) {
    ctx.addIssue({
      code: 'custom',
      message: `must hold only visible ASCII characters (an HTTP header cannot carry the others): it has ${refused.description}`,
    });
  }
});

export const ACCESS_TOKEN_MIN_LENGTH = 24;
/** `aaaa…` or `1212…` is long but guessable: a token needs at least this many different characters. */
export const ACCESS_TOKEN_MIN_DISTINCT = 10;

export const accessTokenValue = z
  .string()
  .trim()
  .min(
    ACCESS_TOKEN_MIN_LENGTH,
    `must be at least ${ACCESS_TOKEN_MIN_LENGTH} characters; make one with \`openssl rand -hex 24\``,
  )
  .max(1024, 'must be at most 1024 characters')
  // Printable ASCII only: it travels in an HTTP header, where anything else is mangled or refused.
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .refine(
    (token) => new Set(token).size >= ACCESS_TOKEN_MIN_DISTINCT,
    `is too easy to guess: it must use at least ${ACCESS_TOKEN_MIN_DISTINCT} different characters; make one with \`openssl rand -hex 24\``,
  );

export const secretKeyValue = z
  .string()
  .trim()
  .refine(
    (value) => decodeSecretKeyText(value) !== null,
    'must be the base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32`',
  );

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
  error: 'must be one of trace, debug, info, warn, error, fatal, silent',
});

export const nodeName = z
  .string()
  .trim()
  .refine(
    isValidNodeName,
    'must be 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  );
