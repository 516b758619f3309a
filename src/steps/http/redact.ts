// Masks the secrets the http step learns by itself (tokens it obtained, token fields of responses, the basic auth
// header it builds) on top of the run's.

import { createMasker, mapStrings } from '../../secrets/index.js';

/** JSON fields whose string values are credentials (OAuth2 token responses and the like). */
const SECRET_FIELD = /^(access_token|refresh_token|id_token|token|client_secret|password|secret|pull_secret)$/i;

export interface SecretMask {
  /** Registers a credential with every form it can take (src/secrets); values shorter than MIN_SECRET_LENGTH are ignored. */
  add(value: string | undefined): void;
  /** Adds the values of credential-named fields found anywhere in a parsed JSON body. */
  addFromJson(value: unknown): void;
  redact(text: string): string;
  /** Deep copy of a value with every string redacted. */
  redactValue<T>(value: T): T;
}

/** Builds a mask that applies the step's own secrets, then the run's `redact` (it knows the run's secrets). */
export function createSecretMask(base: (text: string) => string, initial: (string | undefined)[] = []): SecretMask {
  const own = createMasker();
  const add = (value: string | undefined) => {
    if (value) own.add(value);
  };
  initial.forEach(add);
  // The step's own first: its longest value (a basic auth header) must go whole before the run's masks a part of it.
  const redact = (text: string): string => base(own.text(text));
  const addFromJson = (value: unknown, depth = 0): void => {
    if (depth > 20 || value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && SECRET_FIELD.test(key)) add(v);
      else addFromJson(v, depth + 1);
    }
  };
  const redactValue = <T>(value: T): T => mapStrings(value, redact);
  return { add, addFromJson: (v) => addFromJson(v), redact, redactValue };
}
