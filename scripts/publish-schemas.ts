// `npm run schemas`: writes schemas/runbook.schema.json, schemas/fleet.schema.json, schemas/steps/<type>.schema.json (removing stale ones) and the
// precompiled validators in src/schema/generated/validators.ts, all from the code.

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStepRegistry } from '../src/steps/registry.js';
import { getRunbookSchema } from '../src/runbook/schema.js';
import { buildSchemaFiles } from '../src/runbook/step-schemas.js';
import { generateValidatorsModule } from '../src/schema/ajv.js';
import { runbookSchema } from '../src/runbook/schema.js';
import { fleetSchema, getFleetSchema } from '../src/fleet/schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const steps = createStepRegistry().list();
const files = buildSchemaFiles(steps, getRunbookSchema());
await mkdir(path.join(root, 'schemas/steps'), { recursive: true });
for (const [relative, text] of files) await writeFile(path.join(root, relative), text);
await writeFile(path.join(root, 'schemas/fleet.schema.json'), `${JSON.stringify(getFleetSchema(), null, 2)}\n`);
for (const name of await readdir(path.join(root, 'schemas/steps'))) {
  const relative = `schemas/steps/${name}`;
  if (name.endsWith('.schema.json') && !files.has(relative)) {
    await rm(path.join(root, relative));
    process.stdout.write(`removed ${relative}\n`);
  }
}
// Precompiled validators so a cold `opsbook validate` needs no ajv compile (keyed by content: stale ones are simply unused).
await writeFile(path.join(root, 'src/schema/generated/validators.ts'), generateValidatorsModule([runbookSchema, fleetSchema, ...steps.map((s) => s.schema)]));
process.stdout.write(`wrote ${files.size} schema files and src/schema/generated/validators.ts\n`);
