// Secret write rules: `stringData` is a write-only convenience the real server folds into base64 `data`.

import type { KObject } from '../store/types.js';
import { invalid, type FieldCause } from './status.js';

/** Merges stringData into data (stringData wins on a shared key) and drops it, so it is never stored or returned. */
export function foldStringData(secret: KObject): void {
  const stringData = secret.stringData;
  if (stringData === undefined || stringData === null) {
    delete secret.stringData;
    return;
  }
  const causes: FieldCause[] = [];
  if (typeof stringData !== 'object' || Array.isArray(stringData)) {
    causes.push({ field: 'stringData', message: 'Invalid value: must be a map of strings' });
  } else {
    for (const [key, value] of Object.entries(stringData)) {
      if (typeof value !== 'string') causes.push({ field: `stringData[${key}]`, message: `Invalid value: ${JSON.stringify(value)}: must be a string` });
    }
  }
  if (causes.length > 0) throw invalid('Secret', '', secret.metadata.name, causes);
  const data = { ...((secret.data as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(stringData as Record<string, string>)) data[key] = Buffer.from(value, 'utf8').toString('base64');
  secret.data = data;
  delete secret.stringData;
}
