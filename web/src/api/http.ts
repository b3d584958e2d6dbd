// The only fetch wrapper: adds the token and the language, turns error replies into a typed
// ApiError and reports a 401 (expired or invalid session) to whoever configured it.
import type { ApiErrorBody, Violation } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly violations: Violation[];

  constructor(status: number, body: Partial<ApiErrorBody> & { violations?: Violation[] }) {
    super(body.message || body.error || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.error ?? (status === 0 ? 'network' : 'unknown');
    this.field = body.field;
    this.violations = body.violations ?? [];
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

export interface HttpHooks {
  token(): string | null;
  language(): string;
  onUnauthorized(): void;
}

let hooks: HttpHooks = {
  token: () => null,
  language: () => 'zh-CN',
  onUnauthorized: () => {},
};

export function configureHttp(h: HttpHooks): void {
  hooks = h;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  // false for login, ingest and the simulator (no user token; a 401 there is not a logout).
  auth?: boolean;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const auth = opts.auth ?? true;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': hooks.language(),
    ...opts.headers,
  };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const token = auth ? hooks.token() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, { error: 'network', message: (e as Error).message });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: 'bad_response', message: text.slice(0, 200) };
    }
  }
  if (!res.ok) {
    if (res.status === 401 && auth) hooks.onUnauthorized();
    throw new ApiError(res.status, (data ?? {}) as Partial<ApiErrorBody>);
  }
  return data as T;
}

export const http = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
};
