// Query parameters read as kube-apiserver's parameter codec reads them, so every client's spelling means the same here.

import { badRequest } from './status.js';

/** A boolean parameter: absent is false; only "0" and "false" (any case) are false; anything else, even "" or "f", is true. */
export function readBool(query: URLSearchParams, name: string): boolean {
  return readOptionalBool(query, name) ?? false;
}

/** A `*bool` parameter (sendInitialEvents, force): undefined when absent, otherwise as readBool. */
export function readOptionalBool(query: URLSearchParams, name: string): boolean | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  return !(text === '0' || text.toLowerCase() === 'false');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An int64 parameter parsed as Go's strconv.ParseInt(s, 10, 64): present but empty or malformed is a 400 with Go's message. */
export function readInt(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^[+-]?\d+$/.test(text)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  return Number(value);
}
