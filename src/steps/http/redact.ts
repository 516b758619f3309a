// Masks the secrets the http step learns by itself (tokens it obtained, token fields of responses) on top of the run's.

const MASK = '***';
/** JSON fields whose string values are credentials (OAuth2 token responses and the like). */
const SECRET_FIELD = /^(access_token|refresh_token|id_token|token|client_secret|password|secret|pull_secret)$/i;
/** Shorter values would mask innocent words. */
const MIN_SECRET_LENGTH = 6;

export interface SecretMask {
  add(value: string | undefined): void;
  /** Adds the values of credential-named fields found anywhere in a parsed JSON body. */
  addFromJson(value: unknown): void;
  redact(text: string): string;
  /** Deep copy of a value with every string redacted. */
  redactValue<T>(value: T): T;
}

/** Builds a mask that applies the run's `redact` first, then its own secrets, longest first. */
export function createSecretMask(base: (text: string) => string, initial: (string | undefined)[] = []): SecretMask {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
  };
  initial.forEach(add);
  const redact = (text: string): string => {
    let out = base(text);
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
  };
  const addFromJson = (value: unknown, depth = 0): void => {
    if (depth > 20 || value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && SECRET_FIELD.test(key)) add(v);
      else addFromJson(v, depth + 1);
    }
  };
  const redactValue = <T>(value: T): T => {
    if (typeof value === 'string') return redact(value) as T;
    if (Array.isArray(value)) return value.map(redactValue) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)])) as T;
    }
    return value;
  };
  return { add, addFromJson: (v) => addFromJson(v), redact, redactValue };
}
