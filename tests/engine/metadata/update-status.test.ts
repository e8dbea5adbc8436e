import { describe, expect, it } from 'vitest';
import { civitaiUpdateStatus, huggingFaceUpdateStatus, readCivitaiModel, readHfModelInfo } from '@modeldock/engine';

const NOW = new Date('2026-12-07T12:00:00.000Z');

function model(mode: string | null, versions: { id: number; name: string; publishedAt?: string }[]) {
  return readCivitaiModel({ id: 1, name: 'M', mode, modelVersions: versions })!;
}

describe('Civitai update checks', () => {
  const versions = [
    { id: 30, name: 'v17', publishedAt: '2026-11-01T00:00:00Z' },
    { id: 20, name: 'v16', publishedAt: '2026-06-01T00:00:00Z' },
    { id: 10, name: 'v15', publishedAt: '2026-01-01T00:00:00Z' },
  ];

  it('a version of the same model published after the local one is an update; the newest is named', () => {
    expect(civitaiUpdateStatus(10, model(null, versions), NOW)).toEqual({
      status: 'update_available',
      latest: { id: '30', name: 'v17', publishedAt: '2026-11-01T00:00:00Z' },
      checkedAt: NOW.toISOString(),
    });
    expect(civitaiUpdateStatus(30, model(null, versions), NOW).status).toBe('current');
  });

  it('without dates, the list order (newest first) decides; a local version no longer listed is behind', () => {
    const undated = versions.map(({ id, name }) => ({ id, name }));
    expect(civitaiUpdateStatus(20, model(null, undated), NOW).latest?.id).toBe('30');
    expect(civitaiUpdateStatus(30, model(null, undated), NOW).status).toBe('current');
    expect(civitaiUpdateStatus(5, model(null, versions), NOW).latest?.id).toBe('30');
  });

  it('an archived, taken-down or deleted model is archived, never an update', () => {
    expect(civitaiUpdateStatus(10, model('Archived', versions), NOW)).toMatchObject({ status: 'archived', latest: null, note: 'archived on Civitai' });
    expect(civitaiUpdateStatus(10, model('TakenDown', versions), NOW)).toMatchObject({ status: 'archived', note: 'taken down on Civitai' });
    expect(civitaiUpdateStatus(10, null, NOW)).toMatchObject({ status: 'archived', latest: null });
  });
});

describe('Hugging Face update checks', () => {
  const info = (sha: string, lfs: string | null) =>
    readHfModelInfo(
      { sha, lastModified: '2026-12-01T00:00:00Z', siblings: [{ rfilename: 'model.safetensors', ...(lfs ? { lfs: { sha256: lfs, size: 10 } } : { blobId: 'b1' }) }] },
      'acme/model',
      'https://huggingface.co',
    );
  const local = { commit: 'c1', path: 'model.safetensors', contentId: 'a'.repeat(64) };

  it('same commit: current; moved commit with this file unchanged: current; changed: update', () => {
    expect(huggingFaceUpdateStatus(local, info('c1', 'a'.repeat(64)), 'main', NOW).status).toBe('current');
    expect(huggingFaceUpdateStatus(local, info('c2', 'a'.repeat(64)), 'main', NOW).status).toBe('current');
    expect(huggingFaceUpdateStatus(local, info('c2', 'b'.repeat(64)), 'main', NOW)).toEqual({
      status: 'update_available',
      latest: { id: 'c2', name: 'new commit on main', publishedAt: '2026-12-01T00:00:00Z' },
      checkedAt: NOW.toISOString(),
    });
  });

  it('a file gone from the repository is archived; an unseen repository is an error; no local id is unknown', () => {
    const gone = readHfModelInfo({ sha: 'c2', siblings: [] }, 'acme/model', 'https://huggingface.co');
    expect(huggingFaceUpdateStatus(local, gone, 'main', NOW).status).toBe('archived');
    expect(huggingFaceUpdateStatus(local, null, 'main', NOW).status).toBe('error');
    expect(huggingFaceUpdateStatus({ ...local, contentId: null }, info('c2', 'b'.repeat(64)), 'main', NOW).status).toBe('unknown');
    expect(huggingFaceUpdateStatus({ ...local, contentId: 'b1' }, info('c2', null), 'main', NOW).status).toBe('current');
  });
});
