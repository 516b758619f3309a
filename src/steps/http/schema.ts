// JSON Schema of the `http` step's `with:` block (published as schemas/steps/http.schema.json).

import { DURATION_PATTERN } from '../../time/duration.js';
import type { JsonSchema } from '../types.js';

const duration = {
  description: "A duration such as '10s', '1m30s', or milliseconds as a number.",
  oneOf: [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'integer', minimum: 0 }],
} as const satisfies JsonSchema;

const statusEntry = {
  oneOf: [
    { type: 'integer', minimum: 100, maximum: 599 },
    { type: 'string', pattern: '^\\s*([1-5]xx|[1-5][0-9]{2}(\\s*-\\s*[1-5][0-9]{2})?)\\s*$' },
  ],
} as const satisfies JsonSchema;

export const httpSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'http',
  description:
    'Calls a REST API (e.g. the Assisted Installer). Network errors, 5xx and 429 are transient (429/503 honour Retry-After); ' +
    'other unexpected statuses are permanent. With `until` it polls every `interval` until the CEL condition over ' +
    '`response` holds. Secrets (bearer, oauth2.refreshToken, obtained access tokens, and token/secret/password fields of ' +
    'JSON responses) are masked in outputs, logs and errors; request headers are never echoed.',
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    method: {
      description: 'HTTP method.',
      enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
      default: 'GET',
    },
    url: { description: 'Absolute http(s) URL.', type: 'string', pattern: '^https?://' },
    headers: {
      description: 'Extra request headers. Never shown in output; put credentials in `bearer` or `oauth2` instead.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    query: {
      description: 'Query parameters appended to the URL.',
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    json: { description: 'Request body sent as JSON (Content-Type: application/json).' },
    form: {
      description: 'Request body sent as application/x-www-form-urlencoded.',
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    bearer: {
      description: 'Bearer token sent as `Authorization: Bearer …`; pass a secret input. Mutually exclusive with `oauth2`.',
      type: 'string',
      minLength: 1,
    },
    oauth2: {
      description:
        'Obtain the bearer token with the OAuth2 refresh-token grant (grant_type=refresh_token) — e.g. a Red Hat offline ' +
        'token exchanged at the SSO token endpoint for a JWT that lasts 15 minutes. The step fetches a fresh access token ' +
        'when it starts, renews it a minute before `expires_in` runs out and once more on a 401, so a poll may run for hours. ' +
        'The access token is never written anywhere.',
      type: 'object',
      additionalProperties: false,
      required: ['tokenUrl', 'refreshToken'],
      properties: {
        tokenUrl: { description: 'Token endpoint URL.', type: 'string', pattern: '^https?://' },
        clientId: { description: 'OAuth2 client id.', type: 'string', default: 'cloud-services' },
        refreshToken: { description: 'The offline/refresh token; pass a secret input.', type: 'string', minLength: 1 },
        scope: { description: 'Optional scope parameter.', type: 'string' },
      },
    },
    expectStatus: {
      description: "Accepted statuses: a code (201), a class ('2xx'), a range ('200-204') or a list of those.",
      default: '2xx',
      oneOf: [statusEntry, { type: 'array', minItems: 1, items: statusEntry }],
    },
    outputs: {
      description:
        'Step outputs computed with CEL over `response` (`status`, `headers` (lower-case names), `json`, `text`); ' +
        "e.g. `clusterId: response.json.id`. `parseJson(s)` decodes a JSON string field.",
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string', minLength: 1 },
    },
    until: {
      description:
        'CEL condition over `response`; when set the request is repeated every `interval` until it holds or the step times ' +
        'out. Transient failures while polling are shown and polling goes on; an expression error counts as "not yet".',
      type: 'string',
      minLength: 1,
    },
    interval: { ...duration, description: 'Delay between polls with `until`.', default: '10s' },
    progress: {
      description: 'CEL over `response` giving the live detail line while polling (e.g. the host status).',
      type: 'string',
      minLength: 1,
    },
    requestTimeout: { ...duration, description: 'Timeout of each single request.', default: '30s' },
  },
  allOf: [
    { not: { required: ['json', 'form'] } },
    { not: { required: ['bearer', 'oauth2'] } },
  ],
} as const satisfies JsonSchema;
