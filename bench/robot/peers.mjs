// node peers.mjs KB.jsonl QUESTIONS.jsonl: minisearch and flexsearch on the same knowledge base
// and questions as robot_bench. Neither has a Chinese tokenizer, so both get the same one:
// lower-cased text split into characters and character bigrams. Neither abstains: an empty
// result counts as abstaining. Prints one JSON line per engine.
import fs from 'node:fs';
import MiniSearch from 'minisearch';
import FlexSearch from 'flexsearch';

const [kbPath, qPath] = process.argv.slice(2);
const kb = fs.readFileSync(kbPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const qs = fs.readFileSync(qPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((q) => !q.name);
const tokenize = (s) => {
  const cs = [...s.toLowerCase()].filter((c) => /[\p{L}\p{N}]/u.test(c));
  const out = [...cs];
  for (let i = 0; i + 1 < cs.length; i++) out.push(cs[i] + cs[i + 1]);
  return out;
};
const docs = kb.map((e, i) => ({ id: i, fid: e.id, body: [e.question, ...(e.similar || [])].join(' ') }));
const load = [];
while (load.length < 5000) for (const q of qs) load.push(q.text);
load.length = 5000;

function measure(name, build, top1) {
  const t0 = performance.now();
  const index = build();
  const buildMs = performance.now() - t0;
  const lat = [];
  for (const q of load) {
    const s = performance.now();
    top1(index, q);
    lat.push((performance.now() - s) * 1000);
  }
  lat.sort((a, b) => a - b);
  let ok = 0, ans = 0, top = 0;
  for (const q of qs) {
    const id = top1(index, q.text);
    if (q.expect) { ans++; if (id === q.expect) { ok++; top++; } } else if (!id) ok++;
  }
  console.log(JSON.stringify({ engine: name, build_ms: +buildMs.toFixed(1), p50_us: +lat[lat.length >> 1].toFixed(1),
    p99_us: +lat[Math.floor(lat.length * 0.99)].toFixed(1), decision_accuracy: +(ok / qs.length).toFixed(3),
    top1_answerable: +(top / ans).toFixed(3) }));
}

measure('minisearch', () => {
  const ms = new MiniSearch({ fields: ['body'], storeFields: ['fid'], tokenize, processTerm: (t) => t });
  ms.addAll(docs);
  return ms;
}, (ms, q) => { const r = ms.search(q, { combineWith: 'OR' }); return r.length ? r[0].fid : null; });

measure('flexsearch', () => {
  const idx = new FlexSearch.Index({ tokenize: 'strict', encode: tokenize });
  for (const d of docs) idx.add(d.id, d.body);
  return idx;
}, (idx, q) => { const r = idx.search(q, { limit: 3, suggest: true }); return r.length ? docs[r[0]].fid : null; });
