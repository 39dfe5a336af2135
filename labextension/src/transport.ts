// How the generated client (client.ts) talks to the jupyter_mlops REST API: ServerConnection
// sends the token and the XSRF header, so state-changing routes pass the server's checks.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_BASE, type ErrorBody, type GateCheck } from './wire';

/** An error answer of the API: its HTTP status and body (one line saying what to do). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody
  ) {
    super(body.error);
    this.name = 'ApiError';
  }

  /** Every check's result when a promotion was refused by its checks, else null. */
  get checks(): GateCheck[] | null {
    return this.body.checks ?? null;
  }
}

/** Options every client function takes. */
export interface IRequestOptions {
  /** Aborts the request (the promise then rejects with the fetch's AbortError). */
  signal?: AbortSignal;
}

/** What a client function sends: the query of a GET, the JSON body of a POST. */
export interface IRequestInit extends IRequestOptions {
  query?: object;
  body?: object;
}

let settings: ServerConnection.ISettings | null = null;

function serverSettings(): ServerConnection.ISettings {
  settings ??= ServerConnection.makeSettings();
  return settings;
}

/** The absolute URL of a path below the server's base URL (e.g. an artifact's ``url``). */
export function serverUrl(path: string): string {
  return URLExt.join(serverSettings().baseUrl, path);
}

/**
 * A query string (with its ``?``) from a request record: a list field becomes a repeated
 * parameter (``experiment=a&experiment=b``); fields left undefined or null are not sent.
 */
export function queryString(query: object | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}) as [string, unknown][]) {
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        params.append(key, String(item));
      } else if (item !== undefined && item !== null) {
        throw new TypeError(`The query field ${key} must be text, a number or true/false.`);
      }
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function send(method: string, path: string, init: IRequestInit): Promise<Response> {
  const s = serverSettings();
  const url = URLExt.join(s.baseUrl, API_BASE, path) + queryString(init.query);
  // 'no-cache' revalidates every GET (tornado sends ETags) without the timestamp parameter
  // that ServerConnection appends under its default 'no-store'.
  const request: RequestInit = { method, cache: 'no-cache', signal: init.signal ?? null };
  if (init.body !== undefined) {
    request.body = JSON.stringify(init.body);
    request.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, s);
  } catch (error) {
    if (init.signal?.aborted) {
      throw error;
    }
    throw new ApiError(0, { error: `The Jupyter server did not answer: ${String(error)}` });
  }
  if (!response.ok) {
    throw new ApiError(response.status, await errorBody(response));
  }
  return response;
}

async function errorBody(response: Response): Promise<ErrorBody> {
  const fallback = `${response.status} ${response.statusText}`;
  try {
    const data = (await response.json()) as Partial<ErrorBody> | null;
    if (data && typeof data.error === 'string') {
      return { error: data.error, checks: data.checks ?? null };
    }
  } catch {
    // Not JSON (a proxy's error page): the status line says what happened.
  }
  return { error: fallback };
}

/** Send a request to a route of the API (path below ``mlops/api/v1``); its JSON answer. */
export async function request(method: string, path: string, init: IRequestInit): Promise<unknown> {
  const response = await send(method, path, init);
  const text = await response.text();
  return text ? (JSON.parse(text) as unknown) : null;
}

/** Send a request to a route that answers bytes (an artifact); its body. */
export async function requestBlob(method: string, path: string, init: IRequestInit): Promise<Blob> {
  const response = await send(method, path, init);
  return response.blob();
}
