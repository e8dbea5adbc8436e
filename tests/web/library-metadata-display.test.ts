/** How a model's metadata reads on its card: name, badges, thumbnails, trigger words, the header's counts. */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_FILTERS,
  allTriggerWords,
  archivedNote,
  completenessBadge,
  displayName,
  incompleteSummary,
  queryFor,
  thumbnailOf,
  updateBadge,
} from '../../apps/web/src/lib/library/library-display';
import { describeTask } from '../../apps/web/src/lib/tasks/task-display';

const metadata = (overrides: Record<string, unknown> = {}) =>
  ({
    name: 'Neon Nights',
    versionName: 'v2',
    type: 'LORA',
    baseModel: 'SDXL 1.0',
    trainedWords: ['neon', 'glow'],
    tags: [],
    description: null,
    creator: null,
    nsfwLevel: 1,
    sourceUrl: null,
    completeness: 'complete',
    missing: [],
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  }) as never;

describe('library metadata display', () => {
  it('names a model by its metadata, and by its file name while only the file names it', () => {
    expect(displayName({ name: 'neon.safetensors', metadata: metadata() })).toBe('Neon Nights');
    expect(displayName({ name: 'neon.safetensors', metadata: metadata({ name: 'neon' }) })).toBe('neon.safetensors');
    expect(displayName({ name: 'neon.safetensors', metadata: null })).toBe('neon.safetensors');
  });

  it('shows the preview URL, else the placeholder route for the entry', () => {
    expect(thumbnailOf({ id: 'abc', preview: { url: '/thumbnails/abc?v=1' } })).toBe('/thumbnails/abc?v=1');
    expect(thumbnailOf({ id: 'a b', preview: null })).toBe('/thumbnails/a%20b');
  });

  it('badges an update with its name, never an archived model; incomplete metadata by how much', () => {
    const checkedAt = '2026-01-01T00:00:00.000Z';
    expect(updateBadge({ update: { status: 'update_available', latest: { id: '22', name: 'v17', publishedAt: null }, checkedAt } })).toBe('v17 available');
    expect(updateBadge({ update: { status: 'update_available', latest: { id: 'abc', name: 'new commit on main', publishedAt: null }, checkedAt } })).toBe('new commit on main');
    expect(updateBadge({ update: { status: 'archived', latest: null, checkedAt } })).toBeNull();
    expect(archivedNote({ update: { status: 'archived', latest: null, checkedAt } })).toBe('Archived on its hub');
    expect(updateBadge({ update: null })).toBeNull();
    expect(completenessBadge({ status: 'present', metadata: metadata() })).toBeNull();
    expect(completenessBadge({ status: 'present', metadata: metadata({ completeness: 'partial' }) })).toBe('Partial metadata');
    expect(completenessBadge({ status: 'present', metadata: metadata({ completeness: 'minimal' }) })).toBe('Minimal metadata');
    expect(completenessBadge({ status: 'present', metadata: null })).toBe('Not described');
    expect(completenessBadge({ status: 'missing', metadata: null })).toBeNull();
  });

  it('copies all trigger words as a prompt fragment, and sums up what is incomplete', () => {
    expect(allTriggerWords(['neon', 'glow, soft'])).toBe('neon, glow, soft');
    expect(incompleteSummary({ partial: 1, minimal: 2, noPreview: 0 })).toBe('1 with partial metadata · 2 with minimal metadata');
    expect(incompleteSummary({ partial: 0, minimal: 0, noPreview: 3 })).toBe('3 without a preview');
    expect(incompleteSummary({ partial: 0, minimal: 0, noPreview: 0 })).toBeNull();
    expect(incompleteSummary(null)).toBeNull();
  });

  it('names metadata tasks in the Tasks panel, "Fix all" as the incomplete models', () => {
    expect(describeTask({ kind: 'full', targets: { scope: 'incomplete' } })).toBe('Full refresh (incomplete models)');
    expect(describeTask({ kind: 'update-check', targets: { scope: 'entries', ids: ['a'] } })).toBe('Update check (1 model)');
    expect(describeTask({ kind: 'sidecars', targets: { scope: 'library' } })).toBe('Reading sidecars of new models');
  });

  it('asks for the flagged entries only when a flag is chosen', () => {
    expect(queryFor(EMPTY_FILTERS)).toMatchObject({ flag: null });
    expect(queryFor({ ...EMPTY_FILTERS, flag: 'update_available' })).toMatchObject({ flag: 'update_available' });
  });
});
