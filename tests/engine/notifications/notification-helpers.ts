/** Fakes for the notifications domain: an HTTP client that records requests and answers as scripted, and job events. */
import type {
  HttpClient,
  HttpRequest,
  HttpResponse,
  JobEvent,
  JobSummary,
} from '@modeldock/engine';
import { jobSummary as makeJobSummary } from '../../support/factories';

export class ScriptedHttp implements HttpClient {
  readonly requests: HttpRequest[] = [];
  /** Answers in order (a status or an error to throw); 200 once they run out. */
  readonly answers: (number | Error)[] = [];

  async request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const answer = this.answers.shift() ?? 200;
    if (answer instanceof Error) throw answer;
    return {
      status: answer,
      headers: {},
      body: (async function* () {})(),
      dump: async () => undefined,
    };
  }
}

/** A completed one-file job whose URL carries secrets the notifications must never show. */
export function jobSummary(overrides: Partial<JobSummary> = {}): JobSummary {
  return makeJobSummary({
    id: 'job-1',
    status: 'completed',
    source:
      'https://files.example/models/flux.safetensors?token=abcdefgh123456&X-Amz-Signature=zzz',
    kind: 'url',
    priority: 0,
    queueOrder: 1,
    files: [
      {
        name: 'flux.safetensors',
        relativePath: 'checkpoints/flux.safetensors',
        bytesDone: 2_000_000,
        bytesTotal: 2_000_000,
        sha256: 'a'.repeat(64),
        expectedSha256: null,
        status: 'completed',
        format: 'safetensors',
        error: null,
      },
    ],
    bytesDone: 2_000_000,
    bytesTotal: 2_000_000,
    speedBps: 0,
    etaSeconds: null,
    error: null,
    stalled: null,
    bandwidthLimitBps: null,
    warnings: [],
    currentFileIndex: null,
    node: null,
    waitingFor: null,
    phase: null,
    createdAt: '2031-01-01T00:00:00.000Z',
    updatedAt: '2031-01-01T00:01:00.000Z',
    finishedAt: '2031-01-01T00:01:00.000Z',
    ...overrides,
  });
}

export function statusEvent(id: string, job: JobSummary): JobEvent {
  return { id, jobId: job.id, type: 'status', job };
}
