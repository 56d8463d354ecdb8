/** Stable codes of {@link OAuthCallbackError}. */
export type OAuthCallbackErrorCode = 'oauth_access_denied' | 'oauth_authorization_error' | 'oauth_invalid_callback';

/**
 * Rejected authorization response (RFC 6749 section 4.1.2): the user denied access, the
 * provider returned an error, or the `state`, `iss` or `code` parameter is wrong or missing.
 * The message never contains the authorization code or the state.
 */
export class OAuthCallbackError extends Error {
  override readonly name = 'OAuthCallbackError';
  readonly code: OAuthCallbackErrorCode;
  /** The provider's `error` parameter (RFC 6749 section 4.1.2.1), when it sent one. */
  readonly providerError: string | undefined;
  /** The provider's `error_description`, as the provider wrote it. */
  readonly providerErrorDescription: string | undefined;

  constructor(code: OAuthCallbackErrorCode, message: string, details: { providerError?: string; providerErrorDescription?: string } = {}) {
    super(message);
    this.code = code;
    this.providerError = details.providerError;
    this.providerErrorDescription = details.providerErrorDescription;
  }
}

/** Stable codes of {@link OAuthTokenError}. */
export type OAuthTokenErrorCode = 'oauth_token_request_failed' | 'oauth_invalid_token_response' | 'oauth_token_error';

/**
 * Failed token request: the request did not complete (`oauth_token_request_failed`), the response
 * is not a usable token response (`oauth_invalid_token_response`), or the provider returned an
 * OAuth error such as `invalid_grant` (`oauth_token_error`, RFC 6749 section 5.2).
 * The message never contains the authorization code, a token or the client secret, and `cause`
 * never contains the response body.
 */
export class OAuthTokenError extends Error {
  override readonly name = 'OAuthTokenError';
  readonly code: OAuthTokenErrorCode;
  /** The provider's `error` value, for `oauth_token_error`. */
  readonly providerError: string | undefined;
  /** The provider's `error_description`, as the provider wrote it. */
  readonly providerErrorDescription: string | undefined;
  /** HTTP status of the token response, when there was one. */
  readonly status: number | undefined;

  constructor(
    code: OAuthTokenErrorCode,
    message: string,
    details: { providerError?: string; providerErrorDescription?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.providerError = details.providerError;
    this.providerErrorDescription = details.providerErrorDescription;
    this.status = details.status;
  }
}

/**
 * Connector settings that cannot produce a valid request, such as an extra authorization
 * parameter that would replace a protocol parameter.
 */
export class OAuthConfigurationError extends Error {
  override readonly name = 'OAuthConfigurationError';
  readonly code = 'oauth_invalid_configuration';
}
