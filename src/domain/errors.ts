/**
 * The one catalog of errors that Latchkey returns to callers.
 *
 * Codes are stable snake_case strings on the wire; messages are defaults that a throw site
 * may replace with one naming the bad input. `docs/errors.md` lists the same codes, and a
 * test keeps the two in step.
 */
export const ERROR_CATALOG = {
  invalid_request: { status: 400, message: 'The request is invalid.' },
  field_too_long: { status: 400, message: 'A field is longer than its maximum.' },
  invalid_cursor: { status: 400, message: 'The cursor is invalid; pass back a nextCursor value unchanged.' },
  unauthorized: { status: 401, message: 'A valid API key is required: send "Authorization: Bearer <key>".' },
  not_found: { status: 404, message: 'No such resource.' },
  account_not_found: { status: 404, message: 'No account has this id.' },
  account_user_not_found: { status: 404, message: 'No account user has this id.' },
  connector_not_found: { status: 404, message: 'No connector in the catalog has this id.' },
  account_connector_not_found: { status: 404, message: 'No account connector has this id in this account.' },
  setup_token_not_found: { status: 404, message: 'No setup token has this id.' },
  method_not_allowed: { status: 405, message: 'The method is not allowed on this path.' },
  account_has_sub_accounts: { status: 409, message: 'Delete or move the sub accounts of this account first.' },
  setup_token_completed: { status: 409, message: 'The setup token has completed and cannot be revoked.' },
  payload_too_large: { status: 413, message: 'The request body is larger than the limit of 1 MiB.' },
  unsupported_media_type: { status: 415, message: 'Send the request body as application/json.' },
  account_user_without_access: {
    status: 422,
    message: 'The account user has no access to this account; access to a parent or sub account does not count.',
  },
  expiry_out_of_range: {
    status: 422,
    message: 'expiresInSeconds must be between 60 (1 minute) and 604800 (7 days).',
  },
  success_url_not_allowed: { status: 422, message: 'successUrl must be on an origin listed in LATCHKEY_SUCCESS_URL_ORIGINS.' },
  invalid_settings: { status: 422, message: 'The settings do not match the connector definition.' },
  oauth_app_missing: { status: 422, message: 'Set the OAuth app of this connector first: PUT /v1/connectors/{connectorId}/oauth-app.' },
  connector_mode_mismatch: { status: 422, message: 'The connector does not use this authentication mode.' },
  parent_account_invalid: { status: 422, message: 'parentAccountId must name another existing account.' },
  account_connector_unauthenticated: {
    status: 409,
    message: 'The account connector has no credentials; issue a setup token so the customer authenticates it.',
  },
  account_connector_needs_reauth: {
    status: 409,
    message: 'The provider rejected the refresh token; issue a setup token so the customer authenticates again.',
  },
  credentials_undecryptable: {
    status: 409,
    message: 'The stored credentials cannot be decrypted with the current keyring; the account connector needs a new authentication.',
  },
  credentials_refresh_failed: { status: 502, message: 'Refreshing the access token failed at the provider.' },
  rate_limited: { status: 429, message: 'Too many requests; wait and try again.' },
  internal_error: { status: 500, message: 'An unexpected error occurred; quote the request id when reporting it.' },
  service_unavailable: { status: 503, message: 'The service is not ready.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error with a code from the catalog; the HTTP layers turn it into a response. */
export class LatchkeyError extends Error {
  readonly status: number;
  /** Structured facts about the failure, such as a list of problems; never secrets. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message ?? ERROR_CATALOG[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LatchkeyError';
    this.status = ERROR_CATALOG[code].status;
    this.details = options?.details;
  }
}
