import { describe, expect, it } from 'vitest';
import type { ListedFile } from '../../apps/web/src/lib/api/types';
import {
  destinationOf,
  filesNeedingFolder,
  groupState,
  initialPicks,
  pickedFilesRequest,
  pickedTotals,
  pickerGroups,
  tickedQuantisation,
  totalsText,
  withGroupTicked,
} from '../../apps/web/src/lib/downloads/add/file-picker';

function listed(overrides: Partial<ListedFile> & { path: string }): ListedFile {
  return {
    size: 1_000_000,
    role: 'weights',
    group: null,
    selected: false,
    relativePath: `checkpoints/${overrides.path}`,
    placement: null,
    onDisk: 'missing',
    ...overrides,
  };
}

const GGUF_REPO: ListedFile[] = [
  listed({ path: 'm-Q4_K_M.gguf', group: 'Q4_K_M', size: 2_000_000 }),
  listed({ path: 'm-Q8_0.gguf', group: 'Q8_0', size: 4_000_000 }),
  listed({ path: 'README.md', role: 'documentation', relativePath: 'README.md' }),
];

describe('the file picker', () => {
  it('starts from the server default, or the remembered quantisation when nothing is ticked', () => {
    const single = [listed({ path: 'a.safetensors', selected: true }), GGUF_REPO[2]!];
    expect(initialPicks(single, 'Q8_0')).toEqual({
      'a.safetensors': { ticked: true, folder: '' },
      'README.md': { ticked: false, folder: '' },
    });
    const none = initialPicks(GGUF_REPO, null);
    expect(Object.values(none).every((pick) => !pick.ticked)).toBe(true);
    const remembered = initialPicks(GGUF_REPO, 'q8_0');
    expect(remembered['m-Q8_0.gguf']!.ticked).toBe(true);
    expect(remembered['m-Q4_K_M.gguf']!.ticked).toBe(false);
  });

  it('groups weights, each quantisation apart, and other files last', () => {
    const groups = pickerGroups([listed({ path: 'x.safetensors' }), ...GGUF_REPO]);
    expect(groups.map((group) => [group.title, group.files.length])).toEqual([
      ['Model files', 1],
      ['Q4_K_M', 1],
      ['Q8_0', 1],
      ['Other files (documentation, configuration)', 1],
    ]);
    const q8 = groups[2]!;
    const picks = withGroupTicked(initialPicks(GGUF_REPO, null), q8, true);
    expect(groupState(picks, q8)).toBe('all');
    expect(groupState(picks, groups[1]!)).toBe('none');
    expect(tickedQuantisation(GGUF_REPO, picks)).toBe('Q8_0');
    expect(tickedQuantisation(GGUF_REPO, withGroupTicked(picks, groups[1]!, true))).toBeNull();
  });

  it('counts only what will be fetched, and sends exactly the ticked paths with their folders', () => {
    const listing = [
      listed({ path: 'a.safetensors', size: 3_000_000 }),
      listed({ path: 'b.safetensors', size: 5_400_000 }),
      listed({ path: 'c.safetensors', onDisk: 'present' }),
      listed({ path: 'd.safetensors' }),
    ];
    const picks = {
      'a.safetensors': { ticked: true, folder: '' },
      'b.safetensors': { ticked: true, folder: 'loras' },
      'c.safetensors': { ticked: true, folder: '' },
      'd.safetensors': { ticked: false, folder: 'vae' },
    };
    const totals = pickedTotals(listing, picks);
    expect(totals).toEqual({ ticked: 3, toFetch: 2, bytesToFetch: 8_400_000, alreadyHere: 1 });
    expect(totalsText(totals)).toBe('2 files · 8.40 MB to download, 1 already here');
    expect(pickedFilesRequest(listing, picks)).toEqual([
      { path: 'a.safetensors' },
      { path: 'b.safetensors', folder: 'loras' },
      { path: 'c.safetensors' },
    ]);
    expect(totalsText({ toFetch: 0, bytesToFetch: 0, alreadyHere: 0 })).toBe('no file ticked');
    expect(totalsText({ toFetch: 0, bytesToFetch: 0, alreadyHere: 2 })).toBe(
      'nothing to download, 2 already here',
    );
    expect(
      totalsText(
        pickedTotals([listed({ path: 'x', size: null })], { x: { ticked: true, folder: '' } }),
      ),
    ).toBe('1 file · size unknown to download');
  });

  it('asks for a folder only for ticked files nothing places', () => {
    const unknown = listed({ path: 'sub/mystery.bin', relativePath: null });
    const listing = [unknown, listed({ path: 'other.bin', relativePath: null })];
    const picks = {
      'sub/mystery.bin': { ticked: true, folder: '' },
      'other.bin': { ticked: false, folder: '' },
    };
    expect(filesNeedingFolder(listing, picks).map((file) => file.path)).toEqual([
      'sub/mystery.bin',
    ]);
    expect(destinationOf(unknown, { ticked: true, folder: 'controlnet/' })).toBe(
      'controlnet/mystery.bin',
    );
    expect(
      filesNeedingFolder(listing, { ...picks, 'sub/mystery.bin': { ticked: true, folder: 'vae' } }),
    ).toEqual([]);
  });
});
