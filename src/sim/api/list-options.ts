// ListOptions of list, watch and deletecollection requests, decoded and validated in the order kube-apiserver does.

import type { ResourceDef } from '../resources.js';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.js';
import { readBool, readInt, readOptionalBool } from './query.js';
import { ApiError, badRequest, expired, invalid, type FieldCause } from './status.js';

/** metav1.ListOptions as decoded from a list or watch request. */
export interface ListQuery {
  watch: boolean;
  labelSelector: string;
  fieldSelector: string;
  limit: number | undefined;
  continue: string;
  resourceVersion: string;
  resourceVersionMatch: string;
  timeoutSeconds: number | undefined;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
}

/**
 * Decodes and validates ListOptions in the real handler's order: decoding (bad integers, selector syntax) is a 400,
 * then the resourceVersionMatch/sendInitialEvents rules are a 422 on ListOptions.meta.k8s.io, then unsupported
 * field labels of `def` are a 400. `forceWatch` is the legacy /watch/ path prefix.
 */
export function readListOptions(query: URLSearchParams, def: ResourceDef, forceWatch: boolean): ListQuery {
  const options: ListQuery = {
    watch: readBool(query, 'watch'),
    labelSelector: query.get('labelSelector') ?? '',
    fieldSelector: query.get('fieldSelector') ?? '',
    limit: readInt(query, 'limit'),
    continue: query.get('continue') ?? '',
    resourceVersion: query.get('resourceVersion') ?? '',
    resourceVersionMatch: query.get('resourceVersionMatch') ?? '',
    timeoutSeconds: readInt(query, 'timeoutSeconds'),
    allowWatchBookmarks: readBool(query, 'allowWatchBookmarks'),
    sendInitialEvents: readOptionalBool(query, 'sendInitialEvents'),
  };
  parseLabelSelector(options.labelSelector);
  const causes = options.watch || forceWatch ? watchCauses(options) : listCauses(options);
  if (causes.length > 0) throw invalid('ListOptions', 'meta.k8s.io', '', causes);
  parseFieldSelector(options.fieldSelector, def);
  return { ...options, watch: options.watch || forceWatch };
}

const MATCH = 'resourceVersionMatch';

function forbiddenCause(field: string, message: string): FieldCause {
  return { field, message: `Forbidden: ${message}`, reason: 'FieldValueForbidden' };
}

function notSupported(value: string, supported: string[]): FieldCause {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { field: MATCH, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${list}`, reason: 'FieldValueNotSupported' };
}

function listCauses(o: ListQuery): FieldCause[] {
  const causes: FieldCause[] = [];
  const match = o.resourceVersionMatch;
  if (match) {
    if (!o.resourceVersion) causes.push(forbiddenCause(MATCH, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue) causes.push(forbiddenCause(MATCH, 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(notSupported(match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && o.resourceVersion === '0') causes.push(forbiddenCause(MATCH, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (o.sendInitialEvents !== undefined) causes.push(forbiddenCause('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return causes;
}

function watchCauses(o: ListQuery): FieldCause[] {
  const causes: FieldCause[] = [];
  const match = o.resourceVersionMatch;
  if (o.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    causes.push(forbiddenCause(MATCH, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
  }
  if (match) {
    if (o.sendInitialEvents === undefined) causes.push(forbiddenCause(MATCH, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') causes.push(notSupported(match, ['NotOlderThan']));
    if (o.continue) causes.push(forbiddenCause(MATCH, 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return causes;
}

/**
 * Checks a list's resourceVersion against the store, which keeps no old snapshots: a future version is the real 504
 * "Too large resource version"; an Exact past one is served only if the resource has not changed since (else the 410
 * of a compacted etcd). Returns the resourceVersion the list reports, or undefined for the current one.
 */
export function checkListResourceVersion(o: ListQuery, currentRv: number, unchangedSince: (rv: number) => boolean): string | undefined {
  const rv = o.resourceVersion;
  if (o.continue && rv !== '' && rv !== '0') throw badRequest('specifying resource version is not allowed when using continue');
  if (rv === '' || rv === '0' || !/^\d+$/.test(rv)) return undefined;
  const wanted = Number(rv);
  if (wanted > currentRv) {
    throw new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${currentRv}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  }
  if (o.resourceVersionMatch !== 'Exact' || wanted === currentRv) return undefined;
  if (!unchangedSince(wanted)) throw expired('The resourceVersion for the provided list is too old.');
  return rv;
}
