import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PacerWait } from '@modeldock/engine';
import { startFakeCivitai } from '../../support/fake-civitai';
import type { FakeCivitai, FakeCivitaiModelSpec } from '../../support/fake-civitai';
import { hubsFor, steppingClock, testHttpClient } from './helpers/metadata-context';

let civitai: FakeCivitai;
const http = testHttpClient();

function loraModel(id: number, extra: Partial<FakeCivitaiModelSpec> = {}): FakeCivitaiModelSpec {
  return {
    id,
    name: `Lora ${id}`,
    type: 'LORA',
    description: `<p>Model ${id}</p>`,
    tags: ['style', `tag${id}`],
    creator: `artist${id}`,
    versions: [
      {
        id: id * 10,
        name: 'v1',
        baseModel: 'SDXL 1.0',
        trainedWords: [`word${id}`],
        files: [{ id: id * 100, name: `lora_${id}.safetensors`, content: `lora bytes ${id}` }],
      },
    ],
    ...extra,
  };
}

beforeAll(async () => {
  civitai = await startFakeCivitai();
  for (let id = 1; id <= 250; id++) civitai.addModel(loraModel(id));
  civitai.addApiKey('civitai-key-FAKE', 'alice');
});

afterAll(async () => {
  await civitai.close();
  await http.close();
});

beforeEach(() => {
  civitai.requests.length = 0;
  civitai.byHashPost = true;
});

describe('Civitai versions by SHA-256', () => {
  it('asks in POST batches of at most 100 hashes and maps each hash to its version, unknown ones to null', async () => {
    const hubs = hubsFor({ civitai: civitai.url }, {}, steppingClock(), http);
    const known = Array.from({ length: 250 }, (_, i) => civitai.fileSha256((i + 1) * 100));
    const unknown = 'f'.repeat(64);
    const found = await hubs.civitai.versionsByHash([...known, unknown, known[0]!.toUpperCase()]);
    const posts = civitai.requests.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(3);
    expect(civitai.requests).toHaveLength(3);
    expect(found.size).toBe(251);
    expect(found.get(unknown)).toBeNull();
    const first = found.get(known[0]!)!;
    expect(first).toMatchObject({ id: 10, modelId: 1, name: 'v1', baseModel: 'SDXL 1.0', trainedWords: ['word1'] });
    expect(first.model).toMatchObject({ name: 'Lora 1', type: 'LORA' });
    expect(found.get(known[249]!)?.modelId).toBe(250);
  });

  it('falls back to one GET per hash when the POST form is refused', async () => {
    civitai.byHashPost = false;
    const hubs = hubsFor({ civitai: civitai.url }, {}, steppingClock(), http);
    const hashes = [civitai.fileSha256(100), civitai.fileSha256(200), 'e'.repeat(64)];
    const found = await hubs.civitai.versionsByHash(hashes);
    expect(civitai.requests.map((request) => request.method)).toEqual(['POST', 'GET', 'GET', 'GET']);
    expect(found.get(hashes[0]!)?.id).toBe(10);
    expect(found.get(hashes[1]!)?.id).toBe(20);
    expect(found.get(hashes[2]!)).toBeNull();
    // The refusal is remembered: the next batch goes straight to GET.
    civitai.requests.length = 0;
    await hubs.civitai.versionsByHash([civitai.fileSha256(300)]);
    expect(civitai.requests.map((request) => request.method)).toEqual(['GET']);
  });

  it('ignores what is not a SHA-256 and asks nothing for an empty list', async () => {
    const hubs = hubsFor({ civitai: civitai.url }, {}, steppingClock(), http);
    const found = await hubs.civitai.versionsByHash(['not-a-hash', '../../etc']);
    expect(found.size).toBe(0);
    expect(civitai.requests).toHaveLength(0);
  });

  it('waits out a 429 (no Retry-After) and says so, then carries on', async () => {
    const clock = steppingClock();
    const hubs = hubsFor({ civitai: civitai.url }, {}, clock, http);
    civitai.rateLimitNext(2);
    const waits: PacerWait[] = [];
    const found = await hubs.civitai.versionsByHash([civitai.fileSha256(100)], { onWait: (wait) => waits.push(wait) });
    expect(found.get(civitai.fileSha256(100))?.id).toBe(10);
    expect(waits.map((wait) => wait.reason)).toEqual(['rate-limited', 'rate-limited']);
    expect(waits[0]!.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(waits[1]!.delayMs).toBeGreaterThan(waits[0]!.delayMs);
  });
});

describe('Civitai models by id', () => {
  it('asks for up to 100 models in one listing request, and for a missing one on its own', async () => {
    const hubs = hubsFor({ civitai: civitai.url }, {}, steppingClock(), http);
    const ids = [...Array.from({ length: 120 }, (_, i) => i + 1), 999_999];
    const models = await hubs.civitai.models(ids);
    const paths = civitai.requests.map((request) => request.url.split('?')[0]);
    expect(paths).toEqual(['/api/v1/models', '/api/v1/models', '/api/v1/models/999999']);
    expect(models.get(999_999)).toBeNull();
    expect(models.get(7)).toMatchObject({ name: 'Lora 7', type: 'LORA', creator: 'artist7', tags: ['style', 'tag7'], mode: null });
    expect(models.get(7)!.description).toBe('<p>Model 7</p>');
    expect(models.get(7)!.versions.map((version) => version.id)).toEqual([70]);
  });

  it('reads one version by id, null when Civitai does not know it', async () => {
    const hubs = hubsFor({ civitai: civitai.url }, {}, steppingClock(), http);
    expect((await hubs.civitai.version(30))?.modelId).toBe(3);
    expect(await hubs.civitai.version(123_456_789)).toBeNull();
  });
});

describe('keys', () => {
  it('sends the user key as a bearer to Civitai only', async () => {
    const hubs = hubsFor({ civitai: civitai.url }, { civitai: 'civitai-key-FAKE' }, steppingClock(), http);
    await hubs.civitai.versionsByHash([civitai.fileSha256(100)]);
    expect(civitai.requests[0]!.headers.authorization).toBe('Bearer civitai-key-FAKE');
    expect(hubs.civitai.keyRefused).toBe(false);
  });

  it('notes a key Civitai refuses and goes on without it', async () => {
    const refusing = await startFakeCivitai({ refuseUnknownKeys: true });
    refusing.addModel(loraModel(1));
    refusing.addModel(loraModel(2));
    try {
      const hubs = hubsFor({ civitai: refusing.url }, { civitai: 'revoked-key-FAKE' }, steppingClock(), http);
      const model = await hubs.civitai.models([1]);
      expect(model.get(1)?.name).toBe('Lora 1');
      expect(hubs.civitai.keyRefused).toBe(true);
      expect(refusing.requests.map((request) => Boolean(request.headers.authorization))).toEqual([true, false]);
      // Once refused, the key is not sent again.
      await hubs.civitai.models([2]);
      expect(refusing.requests.at(-1)!.headers.authorization).toBeUndefined();
    } finally {
      await refusing.close();
    }
  });
});

describe('a hub that misbehaves', () => {
  it('gives a coded error for garbage JSON and for a 5xx that does not heal', async () => {
    const { createServer } = await import('node:http');
    let status = 200;
    const server = createServer((request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(status === 200 ? '{"id": 1, "name": ' : '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const hubs = hubsFor({ civitai: url }, {}, steppingClock(), http);
      await expect(hubs.civitai.version(1)).rejects.toMatchObject({ code: 'HTTP_ERROR' });
      await expect(hubs.civitai.models([1])).rejects.toMatchObject({ code: 'HTTP_ERROR' });
      status = 503;
      await expect(hubs.civitai.versionsByHash(['a'.repeat(64)])).rejects.toMatchObject({ code: 'SERVER_ERROR' });
    } finally {
      server.close();
    }
  });
});
