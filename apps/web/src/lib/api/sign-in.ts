/**
 * Signing this browser in to a server that has an access token: the token goes once, in a POST
 * body, to `/auth/session`; the server answers with an HttpOnly cookie that page scripts never see.
 */
import type { ApiErrorView } from './api-error';

const SESSION_PATH = '/auth/session';

interface ErrorBody {
  error?: { message?: unknown; data?: { modeldockCode?: unknown } };
}

/** null when signed in; otherwise why not, to show. */
export async function signIn(token: string): Promise<ApiErrorView | null> {
  let response: Response;
  try {
    response = await fetch(SESSION_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      message: `Cannot reach the modeldock server (${reason}). Check that it is running.`,
      code: null,
    };
  }
  if (response.ok) return null;
  const body = (await response.json().catch(() => null)) as ErrorBody | null;
  const message = body?.error?.message;
  const code = body?.error?.data?.modeldockCode;
  return {
    message: typeof message === 'string' ? message : `The server answered ${response.status}.`,
    code: typeof code === 'string' ? code : null,
  };
}
