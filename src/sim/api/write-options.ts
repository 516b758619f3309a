// Create/Update/Patch/DeleteOptions from the query, validated as kube-apiserver does (a 422 on <Verb>Options.meta.k8s.io).

import { readOptionalBool } from './query.js';
import { invalid, type FieldCause } from './status.js';

export interface WriteQuery {
  dryRun: boolean;
  /** undefined when absent or empty: the caller defaults it from the User-Agent (apply requires it). */
  fieldManager: string | undefined;
  force: boolean;
}

const OPTIONS_KIND: Record<string, string> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions', delete: 'DeleteOptions', deletecollection: 'DeleteOptions' };
const FIELD_VALIDATION = ['Ignore', 'Strict', 'Warn'];
const FIELD_MANAGER_MAX = 128;

/** Reads dryRun, fieldManager, force and fieldValidation for `verb`; `apply` is true for an apply patch. */
export function readWriteOptions(query: URLSearchParams, verb: string, apply: boolean): WriteQuery {
  const dryRun = query.getAll('dryRun');
  const fieldManager = query.get('fieldManager') ?? '';
  const force = readOptionalBool(query, 'force');
  const causes: FieldCause[] = [];
  if (verb === 'patch' && !apply && force !== undefined) {
    causes.push({ field: 'force', message: 'Forbidden: may not be specified for non-apply patch', reason: 'FieldValueForbidden' });
  }
  if (apply && fieldManager === '') causes.push({ field: 'fieldManager', message: 'Required value: is required for apply patch', reason: 'FieldValueRequired' });
  if (verb !== 'delete' && verb !== 'deletecollection') causes.push(...fieldManagerCauses(fieldManager));
  if (dryRun.some((value) => value !== 'All')) {
    const shown = `[]string{${dryRun.map((d) => JSON.stringify(d)).join(', ')}}`;
    causes.push({ field: 'dryRun', message: `Unsupported value: ${shown}: supported values: "All"`, reason: 'FieldValueNotSupported' });
  }
  const validation = query.get('fieldValidation') ?? '';
  if (validation !== '' && !FIELD_VALIDATION.includes(validation) && verb !== 'delete' && verb !== 'deletecollection') {
    const supported = FIELD_VALIDATION.map((v) => JSON.stringify(v)).join(', ');
    causes.push({ field: 'fieldValidation', message: `Unsupported value: ${JSON.stringify(validation)}: supported values: ${supported}`, reason: 'FieldValueNotSupported' });
  }
  if (causes.length > 0) throw invalid(OPTIONS_KIND[verb] ?? 'CreateOptions', 'meta.k8s.io', '', causes);
  return { dryRun: dryRun.length > 0, fieldManager: fieldManager || undefined, force: force === true };
}

/** metav1 ValidateFieldManager: at most 128 bytes, printable characters only. */
function fieldManagerCauses(fieldManager: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX) {
    causes.push({ field: 'fieldManager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX} bytes`, reason: 'FieldValueTooLong' });
  }
  let position = 0;
  for (const ch of fieldManager) {
    if (/[\p{C}\p{Z}]/u.test(ch) && ch !== ' ') {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      causes.push({ field: 'fieldManager', message: `Invalid value: ${JSON.stringify(fieldManager)}: invalid character U+${code} (at position ${position})`, reason: 'FieldValueInvalid' });
    }
    position += Buffer.byteLength(ch);
  }
  return causes;
}
