// Starts a real `kefu demo` on a free port with a fresh data directory, waits for /healthz,
// exposes its URL as KEFU_URL to the tests, and stops it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const webDir = resolve(here, '..');
const repo = resolve(webDir, '..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

async function waitHealthy(url: string, proc: ChildProcess, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`kefu demo exited with code ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`kefu demo did not answer ${url}/healthz within ${ms} ms`);
}

export default async function globalSetup() {
  if (process.env.KEFU_URL) return undefined; // an already running server (e.g. `npm run dev`)
  const bin = resolve(webDir, process.env.KEFU_BIN ?? '../build/kefu');
  if (!existsSync(bin)) throw new Error(`kefu binary not found at ${bin} (set KEFU_BIN)`);
  if (!existsSync(join(webDir, 'dist', 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  const data = mkdtempSync(join(tmpdir(), 'kefu-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['demo', '--data', data, '--port', String(port)], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The server's output goes to test-results/kefu-demo.log for post-mortems.
  mkdirSync(join(webDir, 'test-results'), { recursive: true });
  const file = createWriteStream(join(webDir, 'test-results', 'kefu-demo.log'));
  let log = '';
  const keep = (d: Buffer) => {
    file.write(d);
    log = (log + d).slice(-4000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('exit', (code, sig) => file.write(`\n[kefu demo exited: code ${code} signal ${sig}]\n`));
  try {
    await waitHealthy(url, proc, 20_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${log.slice(-2000)}`);
  }
  process.env.KEFU_URL = url;
  process.env.KEFU_DATA = data;
  return async () => {
    proc.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        r(undefined);
      }, 5000);
      proc.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
    rmSync(data, { recursive: true, force: true });
  };
}
