// First-load size of a route: the entry chunk, its static imports, the route's own chunk and
// its static imports, and CSS, gzip-compressed (what the browser transfers from `kefu`).
// Usage: node scripts/size.mjs [routeChunkPrefix=workbench]
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dist = 'dist';
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const want = process.argv.slice(2);
const routes = want.length ? want : ['src/components/AppLayout.vue', 'src/views/workbench/index.vue'];

const files = new Set();
function visit(key) {
  const c = manifest[key];
  if (!c || files.has(c.file)) return;
  files.add(c.file);
  for (const css of c.css ?? []) files.add(css);
  for (const imp of c.imports ?? []) visit(imp);
}
visit('index.html');
for (const r of routes) visit(r);
let raw = 0;
let gz = 0;
const rows = [];
for (const f of files) {
  const buf = readFileSync(join(dist, f));
  const g = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += g;
  rows.push([f, buf.length, g]);
}
rows.sort((a, b) => b[2] - a[2]);
for (const [f, r, g] of rows) console.log(`${(g / 1024).toFixed(1).padStart(8)} KB gz ${(r / 1024).toFixed(1).padStart(8)} KB  ${f}`);
console.log(`first load of ${routes.join(' + ')}: ${(gz / 1024).toFixed(1)} KB gzip (${(raw / 1024).toFixed(1)} KB raw), limit 500 KB`);
if (gz > 500 * 1024) process.exit(1);
