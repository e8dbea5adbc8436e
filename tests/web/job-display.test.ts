import { describe, expect, it } from 'vitest';
import type { Job, JobFile } from '../../apps/web/src/lib/api/types';
import {
  bundlePosition,
  completedFilesOf,
  isPickle,
  jobTitle,
  partialBytesOf,
  phaseNote,
  statusLabel,
} from '../../apps/web/src/lib/downloads/job-display';
import { describeStatus } from '../../packages/cli/src/format';
import { jobFileSummary, jobSummary } from '../support/factories';

const file = jobFileSummary;

function job(files: JobFile[], overrides: Partial<Job> = {}): Job {
  return jobSummary({ status: 'running', source: 'preset:p', kind: 'bundle', queueOrder: 1, files, ...overrides });
}

describe('job display helpers', () => {
  it('labels a queued job for a node that is not running "Waiting for <node>", and others by status', () => {
    expect(statusLabel(job([file('a')], { status: 'queued', node: 'gpu-box', waitingFor: 'gpu-box' }))).toBe(
      'Waiting for gpu-box',
    );
    expect(statusLabel(job([file('a')], { status: 'queued', node: 'gpu-box', waitingFor: null }))).toBe('Queued');
    expect(statusLabel(job([file('a')], { status: 'running', node: 'gpu-box' }))).toBe('Downloading');
  });

  it('shows the first step (resolving, checking existing files) on the badge, the card and the CLI (issue 9.7)', () => {
    const resolving = job([], { status: 'running', phase: { step: 'resolving', detail: null, bytesDone: 0, bytesTotal: null } });
    expect(statusLabel(resolving)).toBe('Resolving');
    expect(phaseNote(resolving)).toBe('Finding the files to download');
    expect(describeStatus(resolving)).toBe('resolving');
    const hashing = job([], {
      status: 'running',
      phase: { step: 'verifying-existing', detail: 'Checking vae/a.safetensors, already on disk (1 of 1)', bytesDone: 250, bytesTotal: 1000 },
    });
    expect(statusLabel(hashing)).toBe('Checking existing files');
    expect(phaseNote(hashing)).toBe('Checking vae/a.safetensors, already on disk (1 of 1): 25 % read');
    expect(describeStatus(hashing)).toBe('checking existing files (25% read)');
    const waiting = job([], { status: 'queued', phase: { step: 'resolving', detail: null, bytesDone: 0, bytesTotal: null } });
    expect(phaseNote(waiting)).toBe('Finding the files to download (runs when the download starts)');
    expect(phaseNote(job([file('a')], { status: 'failed', phase: null }))).toBeNull();
  });

  it('counts only the files the job downloaded itself as completed', () => {
    const files = [
      file('a'),
      file('b', { status: 'present' }),
      file('c', { status: 'failed' }),
      file('d'),
    ];
    expect(completedFilesOf(job(files)).map((f) => f.name)).toEqual(['a', 'd']);
  });

  it('says which file of a bundle is moving, and nothing for single files or idle bundles', () => {
    const files = [file('a'), file('b', { status: 'running' }), file('c', { status: 'queued' })];
    expect(bundlePosition(job(files, { currentFileIndex: 1 }))).toBe('file 2 of 3');
    expect(bundlePosition(job(files, { currentFileIndex: null }))).toBeNull();
    expect(bundlePosition(job([file('a')], { currentFileIndex: 0 }))).toBeNull();
  });

  it('flags pickle files', () => {
    expect(isPickle(file('x.ckpt', { format: 'pickle' }))).toBe(true);
    expect(isPickle(file('x.safetensors'))).toBe(false);
    expect(isPickle(file('x.bin', { format: null }))).toBe(false);
  });
});

describe('jobTitle', () => {
  it("calls a preset's bundle by the preset's name, and other jobs by their file or source", () => {
    const bundle = job([file('a.gguf'), file('b.safetensors')]);
    expect(jobTitle(bundle, { p: 'Z-Image Turbo (GGUF)' })).toBe('Z-Image Turbo (GGUF)');
    expect(jobTitle(bundle)).toBe('preset:p');
    expect(jobTitle(bundle, { other: 'Other' })).toBe('preset:p');
    expect(jobTitle(job([file('a.gguf')], { source: 'org/name' }), { p: 'Z' })).toBe('a.gguf');
  });
});

describe('partialBytesOf', () => {
  it('counts the unfinished files a failed job still holds, never its completed or present ones', () => {
    const failed = job(
      [
        file('a.safetensors', { status: 'completed', bytesDone: 500 }),
        file('b.safetensors', { status: 'failed', bytesDone: 300, bytesTotal: 900 }),
        file('c.safetensors', { status: 'queued', bytesDone: 20, bytesTotal: 900 }),
        file('d.safetensors', { status: 'present', bytesDone: 900, bytesTotal: 900 }),
      ],
      { status: 'failed' },
    );
    expect(partialBytesOf(failed)).toBe(320);
  });

  it('is 0 for a job that is not failed: its partial files are running or already gone', () => {
    const files = [file('b.safetensors', { status: 'running', bytesDone: 300, bytesTotal: 900 })];
    expect(partialBytesOf(job(files, { status: 'running' }))).toBe(0);
    expect(partialBytesOf(job(files, { status: 'cancelled' }))).toBe(0);
  });
});
