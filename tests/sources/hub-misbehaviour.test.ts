/** Answers real hubs give rarely (or mirrors give wrongly): each still ends in a clear error or a sound result. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCivitaiResolver, createHuggingFaceResolver } from '@modeldock/engine';
import { createResolveContext, rejectionOf } from './helpers/resolve-context';
import type { TestResolveContext } from './helpers/resolve-context';
import { json, startScriptedOrigin } from './helpers/scripted-origin';
import type { ScriptedOrigin } from './helpers/scripted-origin';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const SHA = 'ab'.repeat(32);

let origin: ScriptedOrigin;
let context: TestResolveContext;

beforeAll(async () => {
  origin = await startScriptedOrigin();
});

afterAll(async () => {
  await origin.close();
});

beforeEach(async () => {
  context = await createResolveContext();
});

afterEach(async () => {
  await context.cleanup();
});

function hf(attempts = 1) {
  return createHuggingFaceResolver({ endpoint: origin.url, retry: { attempts, baseDelayMs: 1, maxDelayMs: 3 } });
}

function lfsRedirect(response: import('node:http').ServerResponse, extra: Record<string, string> = {}) {
  response.writeHead(302, {
    location: 'http://cdn.invalid/blob',
    'x-repo-commit': COMMIT,
    'x-linked-etag': `"${SHA}"`,
    'x-linked-size': '10',
    'content-length': '0',
    ...extra,
  });
  response.end();
}

describe('Hugging Face endpoint misbehaving', () => {
  it.each([
    [500, {}, 'SERVER_ERROR', true],
    [403, { 'x-error-code': 'DisabledRepo', 'x-error-message': 'Access to this resource is disabled.' }, 'NO_ACCESS', false],
    [403, { 'x-error-message': 'Forbidden by policy' }, 'FORBIDDEN', false],
    [418, {}, 'HTTP_ERROR', false],
    [401, {}, 'REPO_NOT_FOUND', false],
    [404, {}, 'REPO_NOT_FOUND', false],
  ])('HTTP %s %j → %s', async (status, headers, code, retryable) => {
    origin.handle((_request, response) => json(response, status, { error: 'nope' }, headers));
    const error = await rejectionOf(hf().resolve({ url: 'org/name/file.gguf' }, context));
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
  });

  it('retries a 5xx and succeeds', async () => {
    let calls = 0;
    origin.handle((_request, response) => (++calls === 1 ? json(response, 503, {}) : lfsRedirect(response)));
    const result = await hf(2).resolve({ url: 'org/name/file.gguf' }, context);
    expect(result.files[0]!.expectedSha256).toBe(SHA);
    expect(context.sleeps).toHaveLength(1);
  });

  it('keeps a numeric Retry-After of a 429 for the job layer', async () => {
    origin.handle((_request, response) => json(response, 429, { error: 'slow down' }, { 'retry-after': '2' }));
    const error = await rejectionOf(hf().resolve({ url: 'org/name/file.gguf' }, context));
    expect(error.code).toBe('RATE_LIMITED');
    expect((error as unknown as { retryAfterMs: number }).retryAfterMs).toBe(2000);
    expect(error.message).toContain('2 s');
  });

  it('stops a same-host redirect loop', async () => {
    origin.handle((request, response) => {
      response.writeHead(307, { location: request.url! });
      response.end();
    });
    expect((await rejectionOf(hf().resolve({ url: 'org/name/file.gguf' }, context))).code).toBe('TOO_MANY_REDIRECTS');
  });

  it('pins through the revision API when X-Repo-Commit is missing, and refuses an answer without a commit', async () => {
    let revisionSha: unknown = COMMIT;
    origin.handle((_request, response, url) => {
      if (url.pathname === '/api/models/org/name/revision/main') return json(response, 200, { sha: revisionSha });
      response.writeHead(200, { etag: `"${SHA}"`, 'content-length': '10' });
      response.end();
    });
    const result = await hf().resolve({ url: 'org/name/file.gguf' }, context);
    expect(result.files[0]).toMatchObject({ revision: COMMIT, bytesTotal: 10, expectedSha256: SHA });
    revisionSha = 'not-a-commit';
    expect((await rejectionOf(hf().resolve({ url: 'org/name/file.gguf' }, context))).code).toBe('HTTP_ERROR');
  });

  it('refuses a tree page that leads to another host, repeats itself, is not a list or not JSON', async () => {
    let tree: (response: import('node:http').ServerResponse) => void = () => undefined;
    origin.handle((_request, response, url) => {
      if (url.pathname.includes('/revision/')) return json(response, 200, { sha: COMMIT });
      if (url.pathname.includes('/tree/')) return tree(response);
      lfsRedirect(response);
    });
    const files = [{ type: 'file', path: 'a.safetensors', size: 10, oid: 'f'.repeat(40), lfs: { oid: SHA, size: 10 } }];
    const cases: Array<[(response: import('node:http').ServerResponse) => void, string]> = [
      [(response) => json(response, 200, files, { link: '<http://elsewhere.invalid/api/next>; rel="next"' }), 'another host'],
      [(response) => json(response, 200, files, { link: `<${origin.url}/api/models/org/name/tree/${COMMIT}?recursive=true&expand=false>; rel="next"` }), 'does not end'],
      [(response) => json(response, 200, { files }), 'not a list'],
      [
        (response) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('<html>');
        },
        'not JSON',
      ],
    ];
    for (const [answer, words] of cases) {
      tree = answer;
      const error = await rejectionOf(hf().resolve({ url: 'org/name', include: ['*.safetensors'] }, context));
      expect(error.code).toBe('HTTP_ERROR');
      expect(error.message).toContain(words);
    }
    tree = (response) => json(response, 200, []);
    const empty = await rejectionOf(hf().resolve({ url: 'org/name' }, context));
    expect(empty.code).toBe('ENTRY_NOT_FOUND');
    expect(empty.message).toContain('no files');
  });

  it('needs an ETag for the cache layout', async () => {
    origin.handle((_request, response) => {
      response.writeHead(200, { 'x-repo-commit': COMMIT, 'content-length': '3' });
      response.end();
    });
    expect((await rejectionOf(hf().resolve({ url: 'org/name/file.gguf', layout: 'hf-cache' }, context))).code).toBe('HTTP_ERROR');
  });

  it('keeps a mirror path prefix in every URL', async () => {
    origin.handle((_request, response) => lfsRedirect(response));
    const before = origin.requests.length;
    const mirror = createHuggingFaceResolver({ endpoint: `${origin.url}/hf/`, retry: { attempts: 1 } });
    const result = await mirror.resolve({ url: `${origin.url}/hf/org/name/blob/main/file.gguf` }, context);
    expect(result.files[0]!.url).toBe(`${origin.url}/hf/org/name/resolve/${COMMIT}/file.gguf`);
    expect(origin.requests[before]!.url).toBe('/hf/org/name/resolve/main/file.gguf');
  });

  it('stops when the caller aborts', async () => {
    origin.handle(() => undefined);
    const controller = new AbortController();
    context.signal = controller.signal;
    const pending = rejectionOf(hf().resolve({ url: 'org/name/file.gguf' }, context));
    setTimeout(() => controller.abort(new Error('user cancelled')), 20);
    expect((await pending).message).toBe('user cancelled');
  });
});

describe('Civitai endpoint misbehaving', () => {
  function civitai(attempts = 1) {
    return createCivitaiResolver({ endpoint: origin.url, retry: { attempts, baseDelayMs: 1, maxDelayMs: 3 } });
  }
  const version = { id: 5, modelId: 4, name: 'v1', model: { name: 'M', type: 'LORA' }, files: [{ id: 6, name: 'm.safetensors', type: 'Model', sizeKB: 1, metadata: { format: 'SafeTensor' }, hashes: { SHA256: SHA.toUpperCase() }, primary: true }] };

  it.each([
    [500, 'SERVER_ERROR'],
    [401, 'AUTH_REQUIRED'],
    [403, 'NO_ACCESS'],
    [400, 'HTTP_ERROR'],
  ])('API HTTP %s → %s', async (status, code) => {
    origin.handle((_request, response) => json(response, status, { error: 'nope' }));
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:version/5' }, context))).code).toBe(code);
  });

  it('refuses unreadable or empty answers', async () => {
    origin.handle((_request, response) => json(response, 200, []));
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:version/5' }, context))).code).toBe('HTTP_ERROR');
    origin.handle((_request, response) => json(response, 200, { name: 'no id' }));
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:version/5' }, context))).code).toBe('HTTP_ERROR');
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:4' }, context))).code).toBe('HTTP_ERROR');
    origin.handle((_request, response) => json(response, 200, { id: 4, name: 'M', type: 'LORA', modelVersions: [] }));
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:4' }, context))).code).toBe('REMOTE_NOT_FOUND');
    origin.handle((_request, response) => json(response, 200, { ...version, files: [] }));
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:version/5' }, context))).code).toBe('REMOTE_NOT_FOUND');
  });

  function download(answer: (response: import('node:http').ServerResponse, request: import('node:http').IncomingMessage) => void) {
    origin.handle((request, response, url) => {
      if (url.pathname.startsWith('/api/v1/')) return json(response, 200, version);
      answer(response, request);
    });
  }

  it.each([
    [(response: import('node:http').ServerResponse) => json(response, 500, { error: 'Error getting file' }), 'SERVER_ERROR'],
    [(response: import('node:http').ServerResponse) => json(response, 400, { error: 'Invalid modelVersionId' }), 'HTTP_ERROR'],
    [(response: import('node:http').ServerResponse) => json(response, 403, { error: 'Early Access' }), 'EARLY_ACCESS'],
    [
      (response: import('node:http').ServerResponse) => {
        response.writeHead(302);
        response.end();
      },
      'HTTP_ERROR',
    ],
    [
      (response: import('node:http').ServerResponse, request: import('node:http').IncomingMessage) => {
        response.writeHead(307, { location: request.url! });
        response.end();
      },
      'TOO_MANY_REDIRECTS',
    ],
  ])('download answer %# → %s', async (answer, code) => {
    download(answer);
    expect((await rejectionOf(civitai().resolve({ url: 'civitai:version/5' }, context))).code).toBe(code);
  });

  it('a 200 straight from the download link means access; its body is dropped, not downloaded', async () => {
    let written = 0;
    download((response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (written < 512 * 1024 * 1024 && response.write(chunk)) written += chunk.length;
        if (written < 512 * 1024 * 1024) response.once('drain', pump);
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
    });
    const result = await civitai().resolve({ url: 'civitai:version/5' }, context);
    expect(result.files[0]!.access).toBe('ok');
    expect(written).toBeLessThan(512 * 1024 * 1024);
  });

  it('honours a Retry-After Civitai might send one day', async () => {
    download((response) => json(response, 429, { error: 'slow' }, { 'retry-after': '3' }));
    const error = await rejectionOf(civitai().resolve({ url: 'civitai:version/5' }, context));
    expect(error.code).toBe('RATE_LIMITED');
    expect((error as unknown as { retryAfterMs: number }).retryAfterMs).toBe(3000);
  });
});
