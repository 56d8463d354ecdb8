import type * as oauth from 'oauth4webapi';

import { OAuthTokenError } from './errors.ts';
import { checkInstanceUrl } from './instance-url.ts';
import type { OAuthServerEndpoints, OAuthTokenSet } from './types.ts';

/**
 * Maximum size in bytes of a token response body. Token responses are usually a few kilobytes,
 * so the limit only stops a hostile endpoint from filling memory.
 */
export const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;

// RFC 6749 section 5.2 limits `error` to these characters. Other values are not echoed in messages.
const OAUTH_ERROR_CODE_PATTERN = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

/** Input of {@link processTokenResponse}. */
export interface TokenResponseConfig {
  server: OAuthServerEndpoints;
  /** The oauth4webapi check for the grant, called with a normalised copy of the response. */
  processResponse: (normalisedResponse: Response) => Promise<oauth.TokenEndpointResponse>;
  now: () => Date;
  /** Scopes to report when the response omits `scope` (RFC 6749 section 5.1). */
  fallbackScopes: string[];
  /** Refresh token to keep when the response has none (RFC 6749 section 6). */
  fallbackRefreshToken: string | null;
}

async function readBodyText(response: Response, host: string): Promise<string> {
  if (response.body === null) {
    return '';
  }

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      size += value.byteLength;
      if (size > MAX_TOKEN_RESPONSE_BYTES) {
        await reader.cancel();
        throw new OAuthTokenError(
          'oauth_invalid_token_response',
          `Token response from ${host} is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes.`,
          { status: response.status },
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof OAuthTokenError) {
      throw error;
    }
    throw new OAuthTokenError('oauth_token_request_failed', `Reading the token response from ${host} failed.`, {
      status: response.status,
      cause: error,
    });
  }

  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Not JSON: the caller reports the body as invalid.
  }
  return undefined;
}

function toProviderError(body: Record<string, unknown>, host: string, status: number): OAuthTokenError | undefined {
  const providerError = body['error'];
  if (typeof providerError !== 'string' || providerError === '') {
    return undefined;
  }

  const description = body['error_description'];
  const shownError = OAUTH_ERROR_CODE_PATTERN.test(providerError) ? providerError : 'with invalid characters';
  return new OAuthTokenError('oauth_token_error', `Token endpoint at ${host} returned the error ${shownError}.`, {
    providerError,
    providerErrorDescription: typeof description === 'string' ? description : undefined,
    status,
  });
}

function splitScopes(value: string): string[] {
  return value.split(/[\s,]+/).filter((scope) => scope !== '');
}

/**
 * Returns a copy of a token response body with known provider deviations from RFC 6749
 * section 5.1 repaired, or a reason why the body cannot be repaired.
 */
function normaliseTokenResponseBody(body: Record<string, unknown>): { body: Record<string, unknown> } | { reason: string } {
  const copy: Record<string, unknown> = { ...body };

  for (const field of ['refresh_token', 'expires_in', 'scope', 'token_type']) {
    if (copy[field] === null) {
      delete copy[field];
    }
  }

  // Latchkey never uses identity claims, and checking an ID token would only reject providers
  // whose issuer the connector definition does not name.
  delete copy['id_token'];

  if (typeof copy['access_token'] !== 'string' || copy['access_token'] === '') {
    return { reason: 'access_token is missing' };
  }

  if (copy['token_type'] === undefined) {
    copy['token_type'] = 'Bearer';
  }

  const expiresIn = copy['expires_in'];
  if (typeof expiresIn === 'string') {
    if (!/^\s*\d+(\.\d+)?\s*$/.test(expiresIn)) {
      return { reason: 'expires_in is not a number' };
    }
    copy['expires_in'] = Number(expiresIn);
  } else if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0)) {
    return { reason: 'expires_in is not a non-negative number' };
  }

  // RFC 6749 section 3.3 wants one space-separated string. Comma-joined strings and JSON arrays
  // of strings are accepted too.
  const scope = copy['scope'];
  if (Array.isArray(scope) && scope.every((item) => typeof item === 'string')) {
    copy['scope'] = scope.join(' ');
  } else if (typeof scope === 'string') {
    copy['scope'] = splitScopes(scope).join(' ');
  }

  return { body: copy };
}

/**
 * Checks a token endpoint response (RFC 6749 section 5.1 and 5.2) and returns the token set.
 *
 * The body is read once, checked for an OAuth error (also inside an HTTP 200), repaired where
 * providers deviate harmlessly (see `normaliseTokenResponseBody`), and then given to oauth4webapi
 * as a new response, so that its own checks still run. Throws {@link OAuthTokenError}.
 */
export async function processTokenResponse(response: Response, config: TokenResponseConfig): Promise<OAuthTokenSet> {
  const { server } = config;
  const host = server.tokenUrl.host;
  const { status } = response;

  const text = await readBodyText(response, host);
  const body = parseJsonObject(text);

  if (status !== 200) {
    const providerError = body === undefined ? undefined : toProviderError(body, host, status);
    throw (
      providerError ??
      new OAuthTokenError('oauth_token_request_failed', `Token endpoint at ${host} responded with HTTP ${status}.`, { status })
    );
  }

  if (body === undefined) {
    const contentType = response.headers.get('content-type') ?? 'none';
    throw new OAuthTokenError(
      'oauth_invalid_token_response',
      `Token response from ${host} is not a JSON object (content-type ${contentType}).`,
      { status },
    );
  }

  const providerError = toProviderError(body, host, status);
  if (providerError !== undefined) {
    throw providerError;
  }

  const normalised = normaliseTokenResponseBody(body);
  if ('reason' in normalised) {
    throw new OAuthTokenError('oauth_invalid_token_response', `Token response from ${host} is invalid: ${normalised.reason}.`, { status });
  }

  let result: oauth.TokenEndpointResponse;
  try {
    result = await config.processResponse(
      new Response(JSON.stringify(normalised.body), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
  } catch (error) {
    // oauth4webapi messages name the failed check and never a value. Its `cause` contains the body, so it is dropped.
    const reason = error instanceof Error ? error.message : 'unknown check failed';
    throw new OAuthTokenError('oauth_invalid_token_response', `Token response from ${host} is invalid: ${reason}.`, { status });
  }

  if (result.token_type !== 'bearer') {
    throw new OAuthTokenError(
      'oauth_invalid_token_response',
      `Token response from ${host} is invalid: token_type ${result.token_type} is not supported, only Bearer is.`,
      { status },
    );
  }

  const tokenSet: OAuthTokenSet = {
    accessToken: result.access_token,
    tokenType: 'Bearer',
    expiresAt: result.expires_in === undefined ? null : new Date(config.now().getTime() + result.expires_in * 1000),
    refreshToken: result.refresh_token ?? config.fallbackRefreshToken,
    scopes: result.scope === undefined ? [...config.fallbackScopes] : splitScopes(result.scope),
  };

  const instanceUrlField = server.tokenResponse?.instanceUrlField;
  if (instanceUrlField !== undefined) {
    const checked = checkInstanceUrl(body[instanceUrlField], server.tokenResponse?.allowedInstanceHosts ?? []);
    if ('reason' in checked) {
      throw new OAuthTokenError(
        'oauth_invalid_token_response',
        `Token response from ${host} is invalid: ${instanceUrlField} ${checked.reason}.`,
        {
          status,
        },
      );
    }
    tokenSet.instanceUrl = checked.url;
  }

  return tokenSet;
}
