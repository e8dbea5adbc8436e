/** A bare HTTP server whose answers a test scripts per request: for hub misbehaviour the fakes do not model. */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, listen, lowercaseHeaders } from '../../support/fake-cdn';
import type { RecordedRequest } from '../../support/fake-cdn';

export type ScriptedHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

export interface ScriptedOrigin {
  url: string;
  requests: RecordedRequest[];
  handle(handler: ScriptedHandler): void;
  close(): Promise<void>;
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

export async function startScriptedOrigin(): Promise<ScriptedOrigin> {
  let handler: ScriptedHandler = (_request, response) => json(response, 404, { error: 'not scripted' });
  const requests: RecordedRequest[] = [];
  let url = '';
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: lowercaseHeaders(request) });
    handler(request, response, new URL(request.url ?? '/', url));
  });
  url = await listen(server);
  return {
    url,
    requests,
    handle: (next) => {
      handler = next;
    },
    close: () => closeServer(server),
  };
}
