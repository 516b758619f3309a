// Short readable summaries of JSON Schemas, for `opsbook steps`.

type Schema = Record<string, unknown>;

export interface ParamSummary {
  name: string;
  type: string;
  required: boolean;
  description?: string;
  default?: unknown;
}

/** The top-level parameters of an object schema: name, type in words, required, description. */
export function summarizeParams(schema: Schema): ParamSummary[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, prop]) => {
    const summary: ParamSummary = { name, type: describeType(prop), required: required.has(name) };
    if (typeof prop.description === 'string') summary.description = prop.description;
    if ('default' in prop) summary.default = prop.default;
    return summary;
  });
}

/** A type in a few words: `string`, `list of string`, `"a" | "b"`, `map`. */
export function describeType(schema: Schema | undefined): string {
  if (!schema || typeof schema !== 'object') return 'any';
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const variants = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (Array.isArray(variants) && !schema.type) return variants.map(describeType).join(' | ');
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
  if (types.length === 0) return 'any';
  return types
    .map((type) => {
      if (type === 'array') return `list of ${describeType(schema.items as Schema | undefined)}`;
      if (type === 'object') return 'map';
      if (type === 'string' && typeof schema['x-expected'] === 'string') return `string (${schema['x-expected']})`;
      return type;
    })
    .join(' | ');
}

/** `nodes*, interval, expect` — required ones starred. */
export function formatParamList(schema: Schema): string {
  const params = summarizeParams(schema);
  return params.length === 0 ? '(none)' : params.map((p) => `${p.name}${p.required ? '*' : ''}: ${p.type}`).join(', ');
}
