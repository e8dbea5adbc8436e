/**
 * The fake Hugging Face and Civitai (sharing one fake CDN for their storage) that the API key e2e
 * tests point the built server at, seeded with the accounts, keys and models those tests need.
 */
import { startFakeCdn } from '../support/fake-cdn';
import type { FakeCdn } from '../support/fake-cdn';
import { startFakeCivitai } from '../support/fake-civitai';
import type { FakeCivitai } from '../support/fake-civitai';
import { startFakeHuggingFace } from '../support/fake-huggingface';
import type { FakeHuggingFace } from '../support/fake-huggingface';
import { modelFile } from '../sources/helpers/hf-fixtures';
import { waitForJob } from './api-client';
import type { Api } from './api-client';

/** Distinctive enough that finding one anywhere can only mean a leak. */
export const HF_KEY = 'hf_FAKEtestTOKEN0modeldock';
export const CIVITAI_KEY = 'civitai-FAKE-key-0modeldock0tests-0123456789';

export const GATED_REPO = 'acme/gated-model';
export const PRIVATE_REPO = 'acme/private-model';
export const PUBLIC_REPO = 'acme/public-model';
export const LOGIN_MODEL_ID = 100;
export const LOGIN_VERSION_ID = 101;
export const LOGIN_FILE_ID = 1011;
export const OPEN_MODEL_ID = 200;
export const OPEN_FILE_ID = 2011;

export interface ApiKeyHubs {
  cdn: FakeCdn;
  hub: FakeHuggingFace;
  civitai: FakeCivitai;
  /** Environment that points the built server at these fakes. */
  serverEnv: Record<string, string>;
  close(): Promise<void>;
}

export async function startApiKeyHubs(): Promise<ApiKeyHubs> {
  const cdn = await startFakeCdn();
  const hub = await startFakeHuggingFace({ cdn });
  const civitai = await startFakeCivitai({ storage: cdn });

  hub.addToken(HF_KEY, 'alice');
  hub.addRepo({
    id: GATED_REPO,
    gated: true,
    allowedUsers: ['alice'],
    files: [{ path: 'gated.safetensors', content: modelFile('gated.safetensors', 'gated', 2048) }],
  });
  hub.addRepo({
    id: PRIVATE_REPO,
    private: true,
    allowedUsers: ['alice'],
    files: [
      { path: 'private.safetensors', content: modelFile('private.safetensors', 'private', 1500) },
    ],
  });
  hub.addRepo({
    id: PUBLIC_REPO,
    files: [{ path: 'public.gguf', content: modelFile('public.gguf', 'public', 3000) }],
  });

  civitai.addApiKey(CIVITAI_KEY, 'carol');
  civitai.addModel({
    id: LOGIN_MODEL_ID,
    name: 'Login LoRA',
    type: 'LORA',
    versions: [
      {
        id: LOGIN_VERSION_ID,
        requireAuth: true,
        files: [
          {
            id: LOGIN_FILE_ID,
            name: 'login_lora.safetensors',
            content: modelFile('login_lora.safetensors', 'login', 1800),
          },
        ],
      },
    ],
  });
  civitai.addModel({
    id: OPEN_MODEL_ID,
    name: 'Open Checkpoint',
    type: 'Checkpoint',
    versions: [
      {
        id: 201,
        files: [
          {
            id: OPEN_FILE_ID,
            name: 'open_checkpoint.safetensors',
            content: modelFile('open_checkpoint.safetensors', 'open', 2600),
          },
        ],
      },
    ],
  });

  return {
    cdn,
    hub,
    civitai,
    serverEnv: { MODELDOCK_HF_ENDPOINT: hub.url, MODELDOCK_CIVITAI_ENDPOINT: civitai.url },
    async close() {
      await hub.close();
      await civitai.close();
      await cdn.close();
    },
  };
}

/** Waits until the job has finished one way or the other and returns it. */
export function finishedJob(api: Api, jobId: string, timeoutMs = 60_000) {
  return waitForJob(
    api,
    jobId,
    (job) => ['completed', 'failed', 'cancelled'].includes(job.status),
    'finished',
    timeoutMs,
  );
}

/** Enqueues and waits; fails with the job's errors when it does not complete. */
export async function downloadToCompletion(
  api: Api,
  input: Parameters<Api['downloads']['enqueue']['mutate']>[0],
) {
  const { jobId } = await api.downloads.enqueue.mutate(input);
  const job = await finishedJob(api, jobId);
  if (job.status !== 'completed') {
    throw new Error(
      `job ${jobId} ${job.status}: ${JSON.stringify([job.error, job.files.map((file) => file.error)])}`,
    );
  }
  return job;
}

/**
 * Enqueues a download its first step must refuse (the call answers before resolving, issue 9.7)
 * and returns the failed job: it recorded no file and moved no byte.
 */
export async function failedDownload(
  api: Api,
  input: Parameters<Api['downloads']['enqueue']['mutate']>[0],
) {
  const { jobId } = await api.downloads.enqueue.mutate(input);
  const job = await finishedJob(api, jobId);
  if (job.status !== 'failed') throw new Error(`job ${jobId} ${job.status}, expected failed`);
  if (job.files.length > 0 || job.bytesDone > 0) {
    throw new Error(`job ${jobId} failed after recording files: ${JSON.stringify(job.files)}`);
  }
  return job;
}
