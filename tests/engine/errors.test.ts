import { describe, expect, it } from 'vitest';
import { ModeldockError, toJobError, redactSecrets, registerSecret } from '@modeldock/engine';

describe('errors are values', () => {
  it('maps a disk-full system error to DISK_FULL with its cause kept', () => {
    const cause = Object.assign(new Error('write failed'), { code: 'ENOSPC' });
    const error = toJobError(cause);
    expect(error.code).toBe('DISK_FULL');
    expect(error.causes?.[0]).toContain('ENOSPC');
  });

  it('keeps a ModeldockError code and message', () => {
    const error = toJobError(new ModeldockError('HASH_MISMATCH', 'SHA-256 differs'));
    expect(error).toMatchObject({ code: 'HASH_MISMATCH', message: 'SHA-256 differs' });
  });

  it('redacts tokens from messages and causes', () => {
    registerSecret('civitai-secret-value-123');
    const cause = new Error('GET https://x/api?token=abc123&x=1 with civitai-secret-value-123 failed');
    const error = toJobError(new ModeldockError('NETWORK_ERROR', 'Bearer hf_abcdefghijklmnop', { cause }));
    const text = JSON.stringify(error);
    expect(text).not.toContain('abc123');
    expect(text).not.toContain('civitai-secret-value-123');
    expect(text).not.toContain('hf_abcdefghijklmnop');
    expect(redactSecrets('https://u:pw@host/x')).toBe('https://[redacted]@host/x');
  });

  it('masks the server’s session cookie wherever it appears, not only after a Cookie header', () => {
    expect(redactSecrets('sent modeldock_session=AbC-123_xyz; theme=dark')).toBe(
      'sent modeldock_session=[redacted]; theme=dark',
    );
    expect(redactSecrets('{"set-cookie":"modeldock_session=AbC-123_xyz; Path=/"}')).not.toContain(
      'AbC-123_xyz',
    );
  });
});
