import { describe, expect, it } from 'vitest';
import type { ApiKeyView } from '../../apps/web/src/lib/api/types';
import {
  keyHealth,
  maskedKey,
  platformsWithKey,
  withKey,
  withoutKey,
} from '../../apps/web/src/lib/settings/api-key-display';

function view(overrides: Partial<ApiKeyView>): ApiKeyView {
  return {
    platform: 'huggingface',
    last4: 'abcd',
    createdAt: '2025-01-01T00:00:00.000Z',
    validatedAt: null,
    valid: null,
    message: null,
    ...overrides,
  };
}

describe('API keys on the settings page', () => {
  it('shows only the last four characters', () => {
    expect(maskedKey(view({ last4: 'wxyz' }))).toBe('•••• wxyz');
  });

  it('reads validity as works, refused or not checked yet', () => {
    expect(keyHealth(view({ valid: true }))).toBe('works');
    expect(keyHealth(view({ valid: false }))).toBe('refused');
    expect(keyHealth(view({ valid: null }))).toBe('unchecked');
  });

  it("replaces a platform's key in place and keeps platform order", () => {
    const civitai = view({ platform: 'civitai', last4: '1111' });
    const list = withKey([civitai], view({ last4: '2222' }));
    expect(list.map((item) => item.platform)).toEqual(['huggingface', 'civitai']);
    const replaced = withKey(list, view({ last4: '3333' }));
    expect(replaced.map((item) => item.last4)).toEqual(['3333', '1111']);
    expect(withoutKey(replaced, 'huggingface').map((item) => item.platform)).toEqual(['civitai']);
  });

  it('counts a platform as keyed when a key is saved or the environment token is in use', () => {
    const environment = [
      { platform: 'huggingface' as const, inUse: true },
      { platform: 'civitai' as const, inUse: false },
    ];
    expect([...platformsWithKey({ keys: [], environment })]).toEqual(['huggingface']);
    expect([
      ...platformsWithKey({ keys: [view({ platform: 'civitai' })], environment: [] }),
    ]).toEqual(['civitai']);
    expect(platformsWithKey({ keys: [], environment: [] }).size).toBe(0);
  });
});
