import { describe, expect, it } from 'vitest';
import {
  linkifyMessage,
  mentionsSettings,
  needsCredentials,
} from '../../apps/web/src/lib/shared/message-links';

describe('linkifyMessage', () => {
  it('leaves a message without links as one piece of text', () => {
    expect(linkifyMessage('Connection refused')).toEqual([
      { kind: 'text', text: 'Connection refused' },
    ]);
  });

  it('makes the repository link of a gated-repo message clickable, without the comma after it', () => {
    const message =
      'The model org/gated is gated: request access at https://huggingface.co/org/gated, add your Hugging Face token in Settings, then retry';
    expect(linkifyMessage(message)).toEqual([
      { kind: 'text', text: 'The model org/gated is gated: request access at ' },
      {
        kind: 'link',
        text: 'https://huggingface.co/org/gated',
        href: 'https://huggingface.co/org/gated',
        external: true,
      },
      {
        kind: 'text',
        text: ', add your Hugging Face token in Settings, then retry',
      },
    ]);
  });

  it('links the word Settings to the settings page when asked to', () => {
    const parts = linkifyMessage(
      'add a valid Civitai API key in Settings (it may have expired)',
      '/settings',
    );
    expect(parts).toEqual([
      { kind: 'text', text: 'add a valid Civitai API key in ' },
      { kind: 'link', text: 'Settings', href: '/settings', external: false },
      { kind: 'text', text: ' (it may have expired)' },
    ]);
  });

  it('drops a closing bracket the link did not open, and a final full stop', () => {
    const parts = linkifyMessage('create it (at https://civitai.com/user/account).');
    expect(parts.find((part) => part.kind === 'link')).toMatchObject({
      href: 'https://civitai.com/user/account',
    });
    expect(parts.map((part) => part.text).join('')).toBe(
      'create it (at https://civitai.com/user/account).',
    );
  });

  it('keeps every character of the message, in order', () => {
    const message =
      'see http://127.0.0.1:4000/org/repo and https://example.org/a?b=c#d; Settings. done';
    expect(
      linkifyMessage(message, '/settings')
        .map((part) => part.text)
        .join(''),
    ).toBe(message);
  });

  it('never turns other schemes into links', () => {
    const parts = linkifyMessage('javascript:alert(1) ftp://example.org/x');
    expect(parts.every((part) => part.kind === 'text')).toBe(true);
  });
});

describe('needsCredentials and mentionsSettings', () => {
  it('names the codes whose fix is a key', () => {
    for (const code of ['AUTH_REQUIRED', 'INVALID_TOKEN', 'GATED_REPO'])
      expect(needsCredentials(code)).toBe(true);
    for (const code of ['NETWORK_ERROR', 'INVALID_URL', null, undefined])
      expect(needsCredentials(code)).toBe(false);
  });

  it('sees whether a message already points at Settings', () => {
    expect(mentionsSettings('add one in Settings (create it at …)')).toBe(true);
    expect(mentionsSettings('settings are fine')).toBe(false);
  });
});
