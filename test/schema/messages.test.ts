import { describe, expect, it } from 'vitest';
import { validateAgainstSchema } from '../../src/schema/ajv.js';
import { DURATION_PATTERN } from '../../src/time/duration.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 5 },
    wait: { type: 'string', pattern: DURATION_PATTERN },
    url: { type: 'string', format: 'uri' },
    tags: { type: 'array', uniqueItems: true, minItems: 1, items: { type: 'string' } },
    mode: { const: 'fast' },
    labels: { type: 'object', propertyNames: { pattern: '^[a-z]+$' } },
    count: { type: 'integer', maximum: 3 },
  },
};

const messages = (value: unknown): string[] => validateAgainstSchema(schema, value).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);

describe('schema messages say what was expected and what was found', () => {
  it('covers the common keywords', () => {
    expect(messages({ name: '', wait: '5 minutes', url: 'not a uri', tags: ['a', 'a'], mode: 'slow', labels: { Bad: 1 }, count: 4.5, extra: 1 })).toEqual([
      "(root): unknown key 'extra' (expected one of: name, wait, url, tags, mode, labels, count)",
      'name: must not be empty',
      "wait: must be a duration like 90s or 1h30m, got '5 minutes'",
      "url: must match format 'uri', got 'not a uri'",
      "tags: must not repeat items (items 0 and 1 are both 'a')",
      `mode: must be "fast", got 'slow'`,
      "labels: key 'Bad' must be a valid name",
      'count: must be an integer, got 4.5',
      'count: must be ≤ 3, got 4.5',
    ]);
    expect(messages({ name: 'toolong', tags: [] })).toEqual(['name: must be at most 5 characters, got 7', 'tags: must have at least 1 item, got 0']);
    expect(messages([])).toEqual(['(root): must be a map, got a list']);
    expect(messages({})).toEqual(["(root): missing required key 'name'"]);
  });
});
