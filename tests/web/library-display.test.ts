/** How library entries and tasks read on the page, and the list query the filters make. */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_FILTERS,
  canDownloadAgain,
  deleteQuestion,
  queryFor,
  sourceLabel,
} from '../../apps/web/src/lib/library/library-display';
import { describeTask, taskPercent, taskProgressText } from '../../apps/web/src/lib/tasks/task-display';

describe('library display', () => {
  it('asks for present entries by default, missing too with the toggle; size and date newest first', () => {
    expect(queryFor(EMPTY_FILTERS)).toMatchObject({ status: ['present'], sort: 'name', order: 'asc', search: null, folder: null, limit: 50, cursor: null });
    expect(queryFor({ ...EMPTY_FILTERS, showMissing: true, sort: 'size', search: '  lora ', folder: 'loras' }, 'c1')).toMatchObject({
      status: ['present', 'missing'],
      order: 'desc',
      search: 'lora',
      folder: 'loras',
      cursor: 'c1',
    });
  });

  it('names the source, and offers "Download again" only for a missing entry with a URL', () => {
    expect(sourceLabel({ source: null })).toBe('Found on disk');
    expect(sourceLabel({ source: { kind: 'huggingface', repo: 'org/name', revision: '0123456789abcdef', path: 'a', url: null } })).toBe(
      'Hugging Face org/name @ 0123456789',
    );
    expect(sourceLabel({ source: { kind: 'civitai', modelId: null, versionId: 42, url: 'https://civitai.com/api/download/models/42' } })).toBe('Civitai version 42');
    expect(sourceLabel({ source: { kind: 'url', url: 'https://cdn.example/x.safetensors' } })).toBe('Link from cdn.example');
    const url = { kind: 'url' as const, url: 'https://cdn.example/x' };
    expect(canDownloadAgain({ status: 'missing', source: url })).toBe(true);
    expect(canDownloadAgain({ status: 'present', source: url })).toBe(false);
    expect(canDownloadAgain({ status: 'missing', source: { kind: 'disk' } })).toBe(false);
    expect(canDownloadAgain({ status: 'missing', source: { kind: 'huggingface', repo: 'a/b', revision: null, path: 'x', url: null } })).toBe(false);
    expect(deleteQuestion(1, '1.20 MB')).toBe('Delete this model and free 1.20 MB?');
    expect(deleteQuestion(3, '6 GB')).toBe('Delete 3 models and free 6 GB?');
  });

  it('tasks: names, percent and progress text', () => {
    expect(describeTask({ kind: 'scan', targets: { scope: 'library' } })).toBe('Scan of the models folder');
    expect(describeTask({ kind: 'metadata', targets: { scope: 'entries', ids: ['a', 'b'] } })).toBe('Metadata refresh (2 models)');
    expect(taskPercent({ done: 1, total: 4, status: 'running' })).toBe(25);
    expect(taskPercent({ done: 0, total: 0, status: 'running' })).toBeNull();
    expect(taskPercent({ done: 0, total: 0, status: 'completed' })).toBe(100);
    expect(taskProgressText({ done: 3, total: 7, status: 'running' })).toBe('3 / 7');
    expect(taskProgressText({ done: 0, total: 0, status: 'completed' })).toBe('Nothing needed doing');
    expect(taskProgressText({ done: 0, total: 0, status: 'running' })).toBe('Looking for changes…');
  });
});
