// Runs the npm peers (mint-filter, fastscan) over the same corpus and word list as kefu.
// usage: node peers.js WORDS CORPUS  -> one line per peer: "<name> <MB/s> <p99 us>"
const fs = require('fs');
const { Mint } = require('mint-filter');
const FastScanner = require('fastscan');

const words = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const corpusBuf = fs.readFileSync(process.argv[3]);
const lines = corpusBuf.toString('utf8').split('\n').filter(Boolean);
const bytes = corpusBuf.length;
const short = lines.filter((l) => [...l].length >= 190).slice(0, 20000);

function run(name, scan) {
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (const l of lines) hits += scan(l) ? 1 : 0;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const lat = [];
  for (const l of short) {
    const a = process.hrtime.bigint();
    scan(l);
    lat.push(Number(process.hrtime.bigint() - a) / 1e3);
  }
  lat.sort((x, y) => x - y);
  const p99 = lat[Math.floor(lat.length * 0.99)] || 0;
  console.log(`${name} ${(bytes / 1048576 / secs).toFixed(1)} ${p99.toFixed(2)} hits=${hits}`);
}

const mint = new Mint(words);
run('mint-filter', (t) => !mint.filter(t, { replace: false }).pass);
const fast = new FastScanner(words);
run('fastscan', (t) => fast.search(t).length > 0);
