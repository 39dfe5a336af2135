// Every call to the jupyter_mlops REST API goes through here: ServerConnection sends the
// token and the XSRF header, so state-changing routes pass the server's checks.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_BASE, ErrorBody, GateCheck } from './wire';

/** An error answer of the API: its HTTP status and one line saying what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly checks: GateCheck[] | null = null
  ) {
    super(message);
  }
}

let settings: ServerConnection.ISettings | null = null;

function serverSettings(): ServerConnection.ISettings {
  if (settings === null) {
    settings = ServerConnection.makeSettings();
  }
  return settings;
}

/** The absolute URL of a path below the server's base URL (e.g. an artifact's ``url``). */
export function serverUrl(path: string): string {
  return URLExt.join(serverSettings().baseUrl, path);
}

type Query = Record<string, string | number | boolean | null | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) {
    return path;
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

async function call<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
  const s = serverSettings();
  const url = URLExt.join(s.baseUrl, API_BASE, withQuery(path, query));
  // 'no-cache' revalidates every GET (tornado sends ETags) without the timestamp parameter
  // that ServerConnection appends under its default 'no-store'.
  const init: RequestInit = { method, cache: 'no-cache' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, s);
  } catch (error) {
    throw new ApiError(0, `The Jupyter server did not answer: ${String(error)}`);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data ?? {}) as Partial<ErrorBody>;
    const message =
      typeof err.error === 'string' ? err.error : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, err.checks ?? null);
  }
  return data as T;
}

/** GET a route of the API (path relative to ``mlops/api/v1``). */
export function get<T>(path: string, query?: Query): Promise<T> {
  return call<T>('GET', path, query);
}

/** POST a JSON body to a route of the API. */
export function post<T>(path: string, body: unknown = {}): Promise<T> {
  return call<T>('POST', path, undefined, body);
}

/** A path segment, escaped (model and schedule names may hold spaces or slashes). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
