import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildUrl, configureHttp, http } from '../http';

function reply(status: number, body?: unknown) {
  return vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status }));
}

describe('http', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('adds the token and the language and parses JSON', async () => {
    const f = reply(200, { ok: true });
    vi.stubGlobal('fetch', f);
    configureHttp({ token: () => 'T1', language: () => 'en-US', onUnauthorized: vi.fn() });
    expect(await http.get('/api/v1/me', { query: { a: 1, b: undefined, c: '' } })).toEqual({ ok: true });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/me?a=1');
    const h = init.headers as Record<string, string>;
    expect(h.Authorization).toBe('Bearer T1');
    expect(h['Accept-Language']).toBe('en-US');
  });

  it('sends no token when auth is false', async () => {
    const f = reply(201, { message: {} });
    vi.stubGlobal('fetch', f);
    configureHttp({ token: () => 'T1', language: () => 'zh-CN', onUnauthorized: vi.fn() });
    await http.post('/api/v1/ingest/messages', { buyer: 'b' }, { auth: false, headers: { 'X-Kefu-Key': 'k' } });
    const h = (f.mock.calls[0] as unknown as [string, RequestInit])[1].headers as Record<string, string>;
    expect(h.Authorization).toBeUndefined();
    expect(h['X-Kefu-Key']).toBe('k');
  });

  it('turns error replies into a typed ApiError', async () => {
    vi.stubGlobal('fetch', reply(422, { error: 'compliance_blocked', message: 'no', violations: [{ match: '最' }] }));
    configureHttp({ token: () => null, language: () => 'zh-CN', onUnauthorized: vi.fn() });
    const e = (await http.post('/x', {}).catch((x) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.code).toBe('compliance_blocked');
    expect(e.violations).toHaveLength(1);
  });

  it('logs out on 401 only for authenticated calls', async () => {
    const onUnauthorized = vi.fn();
    configureHttp({ token: () => 'T', language: () => 'zh-CN', onUnauthorized });
    vi.stubGlobal('fetch', reply(401, { error: 'unauthenticated', message: 'expired' }));
    await expect(http.get('/api/v1/me')).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await expect(http.post('/api/v1/auth/login', {}, { auth: false })).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('reports network failures as ApiError status 0 and accepts 204', async () => {
    configureHttp({ token: () => null, language: () => 'zh-CN', onUnauthorized: vi.fn() });
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(http.get('/x')).rejects.toMatchObject({ status: 0, code: 'network' });
    vi.stubGlobal('fetch', reply(204));
    await expect(http.post('/x')).resolves.toBeUndefined();
  });

  it('builds query strings', () => {
    expect(buildUrl('/a', { q: '你好 x', n: 0 })).toBe('/a?q=%E4%BD%A0%E5%A5%BD+x&n=0');
  });
});
