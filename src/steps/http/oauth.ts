// OAuth2 refresh-token grant: trades an offline token for short-lived access tokens and renews them before they lapse.

import { StepError } from '../../errors.js';
import type { NetworkPolicy } from '../../net/index.js';
import type { Clock } from '../../time/clock.js';
import type { OAuth2Params } from './params.js';
import type { SecretMask } from './redact.js';
import { encodeBody, sendRequest } from './request.js';
import { assertExpectedStatus } from './outcome.js';

/** Renew this long before the token's announced expiry, so a request never leaves with a token about to lapse. */
const RENEW_BEFORE_MS = 60_000;
/** Assumed lifetime when the token endpoint does not say (`expires_in` missing): the SSO's 15 minutes. */
const DEFAULT_LIFETIME_MS = 15 * 60_000;

export interface TokenSource {
  /** A valid access token; `force` renews even if the cached one has not expired (after a 401). */
  token(signal: AbortSignal, force?: boolean): Promise<string>;
}

/** One cache per step attempt: the token lives in memory only and every new token is added to the mask. */
export function createTokenSource(config: OAuth2Params, clock: Clock, mask: SecretMask, timeoutMs: number, network?: NetworkPolicy): TokenSource {
  let cached: { value: string; renewAt: number } | undefined;
  return {
    async token(signal, force = false) {
      if (cached && !force && clock.now() < cached.renewAt) return cached.value;
      const form: Record<string, string> = {
        grant_type: 'refresh_token',
        client_id: config.clientId,
        refresh_token: config.refreshToken,
        ...(config.scope !== undefined ? { scope: config.scope } : {}),
      };
      const { body, contentType } = encodeBody(undefined, form);
      const response = await sendRequest(
        { method: 'POST', url: config.tokenUrl, headers: { 'content-type': contentType! }, body, timeoutMs, signal },
        mask,
        network,
      );
      const label = `token request to ${mask.redact(config.tokenUrl)}`;
      assertExpectedStatus(response, [{ min: 200, max: 299 }], label, mask);
      const json = (response.json ?? {}) as { access_token?: unknown; expires_in?: unknown };
      if (typeof json.access_token !== 'string' || json.access_token === '') {
        throw new StepError(`${label}: the response has no access_token`, { errorClass: 'permanent' });
      }
      mask.add(json.access_token);
      const lifetime = typeof json.expires_in === 'number' ? json.expires_in * 1000 : DEFAULT_LIFETIME_MS;
      cached = { value: json.access_token, renewAt: clock.now() + Math.max(lifetime - RENEW_BEFORE_MS, lifetime / 2) };
      return cached.value;
    },
  };
}
