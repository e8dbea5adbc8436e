import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeModelFile, remoteByteReader } from '@modeldock/engine';
import { startScriptedOrigin } from '../../sources/helpers/scripted-origin';
import type { ScriptedOrigin } from '../../sources/helpers/scripted-origin';
import { undiciHttpClient } from '../../sources/helpers/resolve-context';
import { TENSORS, safetensorsFile } from '../../support/model-bytes';

describe('reading a remote file by Range', () => {
  let origin: ScriptedOrigin;
  const vae = safetensorsFile({ tensors: [...TENSORS.fluxVae] });
  beforeAll(async () => {
    origin = await startScriptedOrigin();
    origin.handle((request, response, url) => {
      if (url.pathname === '/moved') {
        response.writeHead(302, { location: '/vae' });
        response.end();
        return;
      }
      if (url.pathname === '/no-ranges') {
        response.writeHead(200, { 'content-length': String(vae.length) });
        response.end(vae);
        return;
      }
      if (url.pathname !== '/vae') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"error":"no such file"}');
        return;
      }
      const match = /bytes=(\d+)-(\d+)/.exec(String(request.headers.range));
      const start = Number(match?.[1] ?? 0);
      const end = Math.min(Number(match?.[2] ?? vae.length - 1), vae.length - 1);
      response.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${vae.length}`,
        'content-length': String(end - start + 1),
      });
      response.end(vae.subarray(start, end + 1));
    });
  });
  afterAll(() => origin.close());

  const reader = (path: string, token: string | null = null) =>
    remoteByteReader({
      http: undiciHttpClient(),
      url: `${origin.url}${path}`,
      token,
      timeoutMs: 5000,
    });

  it('probes a header through redirects and classifies the file', async () => {
    const probe = await probeModelFile(reader('/moved', 'secret-token'), { fileName: 'download' });
    expect(probe.classification.modelClass).toBe('vae');
    const ranged = origin.requests.filter((request) => request.url === '/vae');
    expect(ranged.length).toBeGreaterThan(0);
    // Two small reads: the 8-byte length, then exactly the header.
    expect(ranged.map((request) => request.headers.range)[0]).toBe('bytes=0-7');
    expect(ranged.every((request) => /^bytes=\d+-\d+$/.test(request.headers.range ?? ''))).toBe(true);
  });

  it('a server that ignores Range falls back to the name; a 404 is an error', async () => {
    const probe = await probeModelFile(reader('/no-ranges'), { fileName: 'ae.safetensors' });
    expect(probe.problem).toMatch(/does not allow reading its header/);
    expect(probe.classification).toMatchObject({ modelClass: 'vae', basis: 'name' });
    await expect(
      probeModelFile(reader('/gone'), { fileName: 'x.safetensors' }),
    ).rejects.toMatchObject({ code: 'REMOTE_NOT_FOUND' });
  });

  it('refuses to read past its byte budget', async () => {
    const small = remoteByteReader({
      http: undiciHttpClient(),
      url: `${origin.url}/vae`,
      timeoutMs: 5000,
      maxTotalBytes: 4,
    });
    await expect(small(0, 8)).rejects.toMatchObject({ code: 'INVALID_FORMAT' });
  });
});
