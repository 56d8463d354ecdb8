/**
 * Authorization server settings of one connector, with its URL templates already rendered.
 * See RFC 6749 section 3 for the endpoints and section 3.3 for scopes.
 */
export interface OAuthServerEndpoints {
  authorizationUrl: URL;
  tokenUrl: URL;
  /**
   * Issuer identifier. When set, the authorization response must carry a matching `iss`
   * parameter (RFC 9207 section 2.4), so set it only for servers that send one.
   */
  issuer?: string;
  /** Whether to send a PKCE S256 challenge (RFC 7636 section 4.3). */
  pkce: boolean;
  /** Default scopes, requested when the caller names none. */
  scopes: string[];
  /** Separator of scopes in requests. RFC 6749 uses a space, and some providers a comma. */
  scopeSeparator: string;
  /** Extra authorization request parameters, which may not replace a protocol parameter. */
  authorizationParams: Record<string, string>;
  /** Client authentication at the token endpoint (RFC 6749 section 2.3.1). */
  clientAuth: 'client_secret_basic' | 'client_secret_post';
  /**
   * Allows the token endpoint to be on a private or loopback address, and to use plain `http:`.
   * Only for self-hosted providers.
   */
  allowPrivateNetwork: boolean;
  /** Provider-specific fields of the token response. */
  tokenResponse?: {
    /** Name of a response field with the URL of the customer's own API instance, such as Salesforce's `instance_url`. */
    instanceUrlField?: string;
    /** Host patterns that the instance URL must match, where `*` matches exactly one DNS label. */
    allowedInstanceHosts?: string[];
  };
}

/** Client registration at the authorization server (RFC 6749 section 2.2 and 2.3.1). */
export interface OAuthClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Checked result of a token request (RFC 6749 section 5.1). */
export interface OAuthTokenSet {
  accessToken: string;
  /** `Bearer`, whatever case the provider used. */
  tokenType: string;
  /** `null` when the provider sent no `expires_in`. */
  expiresAt: Date | null;
  refreshToken: string | null;
  /** Granted scopes, or the requested ones when the response omits `scope` (RFC 6749 section 5.1). */
  scopes: string[];
  /** Instance URL from the field named by `tokenResponse.instanceUrlField`, after the host check. */
  instanceUrl?: string;
}
