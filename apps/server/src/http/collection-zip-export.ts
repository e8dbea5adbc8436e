/**
 * `GET /export.zip[?includeMetadata=1]`: the collection manifest (`manifest.json`, as
 * `library.export` answers it) and, under their paths relative to the models root, every sidecar
 * beside each listed model (`.civitai.info`, `.metadata.json`, A1111 `.json`, preview images).
 * Streamed: files are read as the zip is written, never held whole. Behind the same gate as the
 * API (origin, access token, wrong-token throttle). A sidecar that resolves outside the models
 * root (a symlink) or is not a regular file is left out.
 */
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ZipFile } from 'yazl';
import { sidecarCandidates } from '@modeldock/engine';
import type { Collection } from '@modeldock/engine';
import type { ApiRequestGate } from './api-request-gate';

export const EXPORT_ZIP_ROUTE = '/export.zip';

export function isExportZipPath(url: string | undefined): boolean {
  return new URL(url ?? '/', 'http://localhost').pathname === EXPORT_ZIP_ROUTE;
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  response.end(`${text}\n`);
}

const REFUSAL_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** The sidecar's real path when it is a regular file inside the models root, else null. */
async function containedFile(
  modelsRoot: string,
  relative: string,
): Promise<{ real: string; mtime: Date } | null> {
  const real = await realpath(path.join(modelsRoot, ...relative.split('/'))).catch(() => null);
  if (real === null || !real.startsWith(modelsRoot + path.sep)) return null;
  const info = await stat(real).catch(() => null);
  return info?.isFile() ? { real, mtime: info.mtime } : null;
}

export function createExportZipHandler(options: {
  collection: Collection | undefined;
  modelsDir: string | undefined;
  gate: ApiRequestGate;
}) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      return plain(response, 405, 'The export zip is read with GET');
    }
    const refusal = options.gate.check(request, false);
    if (refusal) {
      for (const [name, value] of Object.entries(refusal.headers ?? {}))
        response.setHeader(name, value);
      return plain(response, REFUSAL_STATUS[refusal.code] ?? 403, refusal.error.message);
    }
    if (!options.collection || !options.modelsDir)
      return plain(response, 404, 'No export in this server');
    const url = new URL(request.url ?? '/', 'http://localhost');
    const flag = url.searchParams.get('includeMetadata');
    if (flag !== null && flag !== '0' && flag !== '1') {
      return plain(response, 400, 'includeMetadata must be 0 or 1');
    }
    const manifest = await options.collection.export({ includeMetadata: flag === '1' });
    const modelsRoot = await realpath(options.modelsDir);

    const zip = new ZipFile();
    zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'manifest.json');
    const added = new Set<string>();
    for (const model of manifest.models) {
      for (const candidate of sidecarCandidates(model.path)) {
        if (added.has(candidate)) continue;
        const file = await containedFile(modelsRoot, candidate);
        if (!file) continue;
        added.add(candidate);
        // Previews are already compressed; deflating them again only costs time.
        const isJson = candidate.endsWith('.json') || candidate.endsWith('.info');
        zip.addFile(file.real, candidate, { mtime: file.mtime, compress: isJson });
      }
    }
    zip.end();
    const stamp = manifest.exportedAt.slice(0, 10);
    response.writeHead(200, {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="modeldock-collection-${stamp}.zip"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    await new Promise<void>((resolve, reject) => {
      zip.outputStream.on('error', reject);
      response.on('error', reject);
      response.on('finish', resolve);
      response.on('close', resolve);
      zip.outputStream.pipe(response);
    });
  };
}
