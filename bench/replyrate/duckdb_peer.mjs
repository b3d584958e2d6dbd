// DuckDB peer: loads the event log with read_json and runs query.sql. Prints the rows as
// "shop consulting a3 a5 a15 a60" lines, then "load_s query_s" on stderr.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [file, lo, hi, tz] = process.argv.slice(2);
const sql = readFileSync(new URL('./query.sql', import.meta.url), 'utf8')
  .replaceAll(':LO_US', lo).replaceAll(':HI_US', hi).replaceAll(':TZ_US', tz)
  // DuckDB's `/` is float division; the day number needs integer division as in sqlite.
  .replaceAll('/ 86400000000', '// 86400000000');
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const t0 = performance.now();
await con.run(`CREATE TABLE ev AS SELECT seq,
  epoch_us(CAST(ts AS TIMESTAMPTZ)) AS ts_us, shop, buyer, "from" AS sender
  FROM read_json('${file}', format = 'newline_delimited',
    columns = {seq: 'BIGINT', ts: 'VARCHAR', shop: 'VARCHAR', buyer: 'VARCHAR', "from": 'VARCHAR'})`);
const t1 = performance.now();
const reader = await con.runAndReadAll(sql);
const t2 = performance.now();
for (const row of reader.getRows()) console.log(row.map(String).join(' '));
console.error(((t1 - t0) / 1000).toFixed(3), ((t2 - t1) / 1000).toFixed(3));
