// Fails when src/api/schema.gen.ts is stale against ../docs/api/openapi.yaml (run `npm run gen:api`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(mkdtempSync(join(tmpdir(), 'kefu-api-')), 'schema.gen.ts');
execFileSync(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', '../docs/api/openapi.yaml', '-o', out], { stdio: 'ignore' });
const fresh = readFileSync(out, 'utf8');
const committed = readFileSync('src/api/schema.gen.ts', 'utf8');
if (fresh !== committed) {
  console.error('check:api: src/api/schema.gen.ts is stale; run `npm run gen:api` and commit it');
  process.exit(1);
}
console.log('check:api: schema.gen.ts is up to date');
