import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
type Tree = { [k: string]: string | Tree };

function flatten(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}
function load(lang: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(join(root, lang)).filter((x) => x.endsWith('.json'))) {
    const area = f.replace(/\.json$/, '');
    for (const [k, v] of flatten(JSON.parse(readFileSync(join(root, lang, f), 'utf8')) as Tree, area)) out.set(k, v);
  }
  return out;
}
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  const zh = load('zh-CN');
  const en = load('en-US');

  it('have the same area files', () => {
    expect(readdirSync(join(root, 'en-US')).sort()).toEqual(readdirSync(join(root, 'zh-CN')).sort());
  });
  it('have the same keys in zh-CN and en-US', () => {
    expect([...en.keys()].sort()).toEqual([...zh.keys()].sort());
    expect(zh.size).toBeGreaterThan(100);
  });
  it('use the same placeholders in both languages', () => {
    for (const [k, v] of zh) expect(placeholders(en.get(k) ?? ''), k).toEqual(placeholders(v));
  });
  it('have no empty strings', () => {
    for (const [k, v] of [...zh, ...en]) expect(v.trim(), k).not.toBe('');
  });
  it('cover every static key used in the source', () => {
    const src = join(root, '..');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== '__tests__') walk(join(d, e.name));
        else if (/\.(vue|ts)$/.test(e.name)) files.push(join(d, e.name));
      }
    };
    walk(src);
    const missing: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z]+\.[a-zA-Z0-9_.]+)'/g)) if (!zh.has(m[1])) missing.push(`${m[1]} (${f})`);
      for (const m of text.matchAll(/title: '([a-zA-Z]+\.[a-zA-Z0-9_.]+)'/g)) if (!zh.has(m[1])) missing.push(`${m[1]} (${f})`);
    }
    expect(missing).toEqual([]);
  });
});
