/**
 * Errors answered outside tRPC (the login endpoint, a refused WebSocket upgrade) in the shape tRPC
 * gives its own, so clients read `error.message` and `error.data.modeldockCode` in one way.
 */
import type { ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { ModeldockError } from '@modeldock/engine';

export interface JsonError {
  status: number;
  body: string;
}

export function jsonError(code: TRPC_ERROR_CODE_KEY, error: ModeldockError): JsonError {
  const status = getHTTPStatusCodeFromError(new TRPCError({ code }));
  const body = {
    error: {
      message: error.message,
      code: TRPC_ERROR_CODES_BY_KEY[code],
      data: { code, httpStatus: status, modeldockCode: error.code },
    },
  };
  return { status, body: JSON.stringify(body) };
}

export function sendJsonError(
  response: ServerResponse,
  code: TRPC_ERROR_CODE_KEY,
  error: ModeldockError,
  headers: Record<string, string> = {},
): void {
  const { status, body } = jsonError(code, error);
  response.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(body);
}
