// The SSO's OpenID Connect token endpoint: the refresh-token grant trades the offline token for a short-lived signed
// JWT; the API checks a bearer's signature and expiry against the simulated clock.

import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../time/clock.js';

export const TOKEN_PATH = '/auth/realms/redhat-external/protocol/openid-connect/token';
const ISSUER = 'https://sso.redhat.com/auth/realms/redhat-external';
const CLIENT_ID = 'cloud-services';

export interface TokenReply {
  status: number;
  body: Record<string, unknown>;
}

export type BearerCheck = 'valid' | 'expired' | 'invalid' | 'missing';

export interface Sso {
  /** Handles a POST to the token endpoint (form-encoded body). */
  token(form: URLSearchParams): TokenReply;
  /** Checks an `Authorization` header value. */
  check(authorization: string | undefined): BearerCheck;
  /** Access tokens issued so far. */
  issued(): number;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const oauthError = (status: number, error: string, description: string): TokenReply => ({
  status,
  body: { error, error_description: description },
});

export function createSso(options: { clock: Clock; offlineToken: string; lifetimeMs: number }): Sso {
  // A fresh key per simulation: its tokens mean nothing anywhere else.
  const key = randomBytes(32);
  const sign = (data: string) => createHmac('sha256', key).update(data).digest();
  let issued = 0;
  return {
    token(form) {
      const grant = form.get('grant_type');
      if (grant === null) return oauthError(400, 'invalid_request', 'Missing form parameter: grant_type');
      if (grant !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'Unsupported grant_type');
      if (form.get('client_id') !== CLIENT_ID) return oauthError(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      const refresh = form.get('refresh_token');
      if (!refresh) return oauthError(400, 'invalid_request', 'Missing parameter: refresh_token');
      if (refresh !== options.offlineToken) return oauthError(400, 'invalid_grant', 'Invalid refresh token');
      const iat = Math.floor(options.clock.now() / 1000);
      const lifetime = Math.floor(options.lifetimeMs / 1000);
      const header = b64({ alg: 'HS256', typ: 'JWT', kid: 'opsbook-sim' });
      const payload = b64({ exp: iat + lifetime, iat, jti: randomUUID(), iss: ISSUER, aud: 'cloud-services', typ: 'Bearer', azp: CLIENT_ID, scope: 'openid api.iam.service_accounts offline_access' });
      const accessToken = `${header}.${payload}.${sign(`${header}.${payload}`).toString('base64url')}`;
      issued++;
      return {
        status: 200,
        body: {
          access_token: accessToken,
          expires_in: lifetime,
          refresh_expires_in: 0,
          refresh_token: options.offlineToken,
          token_type: 'Bearer',
          'not-before-policy': 0,
          session_state: randomUUID(),
          scope: 'openid api.iam.service_accounts offline_access',
        },
      };
    },
    check(authorization) {
      const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization ?? '');
      if (!authorization) return 'missing';
      if (!match) return 'invalid';
      const expected = sign(`${match[1]}.${match[2]}`);
      const given = Buffer.from(match[3]!, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      const { exp } = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8')) as { exp: number };
      return options.clock.now() < exp * 1000 ? 'valid' : 'expired';
    },
    issued: () => issued,
  };
}
