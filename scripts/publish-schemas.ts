// `npm run schemas`: writes schemas/runbook.schema.json and schemas/steps/<type>.schema.json from the code, removing stale step files.

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStepRegistry } from '../src/steps/registry.js';
import { getRunbookSchema } from '../src/runbook/schema.js';
import { buildSchemaFiles } from '../src/runbook/step-schemas.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = buildSchemaFiles(createStepRegistry().list(), getRunbookSchema());
await mkdir(path.join(root, 'schemas/steps'), { recursive: true });
for (const [relative, text] of files) await writeFile(path.join(root, relative), text);
for (const name of await readdir(path.join(root, 'schemas/steps'))) {
  const relative = `schemas/steps/${name}`;
  if (name.endsWith('.schema.json') && !files.has(relative)) {
    await rm(path.join(root, relative));
    process.stdout.write(`removed ${relative}\n`);
  }
}
process.stdout.write(`wrote ${files.size} schema files\n`);
