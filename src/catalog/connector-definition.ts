import { Type, type Static } from 'typebox';

/** Authentication method that a connector uses with the third-party API. */
export type AuthMode = 'oauth2' | 'oauth2_client_credentials' | 'api_key' | 'basic' | 'none';

/** A value the customer enters on the hosted page, such as an API key or a subdomain. */
export interface FieldDefinition {
  name: string;
  label: string;
  help?: string;
  secret: boolean;
  /** Regular expression, compiled with the `u` flag, that the cleaned value must match. */
  pattern?: string;
  enum?: string[];
  optional: boolean;
}

/** Placement of the credentials in each API request: a header, a query parameter or HTTP Basic. */
export type CredentialInjection =
  { header: string; value: string } | { query: string; value: string } | { basic: { username: string; password: string } };

/** OAuth 2 settings of a connector, with defaults applied. */
export interface OAuthSettings {
  authorizationUrl: string;
  tokenUrl: string;
  scopes: string[];
  scopeSeparator: string;
  pkce: boolean;
  clientAuth: 'client_secret_basic' | 'client_secret_post';
  authorizationParams: Record<string, string>;
  issuer?: string;
  tokenResponse: { instanceUrlField?: string; allowedInstanceHosts?: string[] };
}

/**
 * Authentication settings of a connector. For the OAuth modes every OAuth setting except
 * `issuer` and `authorizationUrl` (absent for client credentials) is filled in at load.
 * For the other modes only `mode` is set.
 */
export type ConnectorAuth = { mode: AuthMode } & Partial<OAuthSettings>;

/** A request that Latchkey sends with newly entered credentials before it stores them. */
export interface ConnectorVerification {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  expectStatus: number;
}

/** A validated connector definition with defaults applied. Loaded definitions are deeply frozen. */
export interface ConnectorDefinition {
  id: string;
  name: string;
  logo?: string;
  docsUrl?: string;
  auth: ConnectorAuth;
  fields: FieldDefinition[];
  api: { baseUrl: string; inject: CredentialInjection };
  verify?: ConnectorVerification;
  allowPrivateNetwork: boolean;
  /** Absolute path of the file the definition was loaded from. */
  source: string;
}

/** One problem found in a definition: a JSON pointer to the key, such as `/auth/tokenUrl`, and the reason. */
export interface DefinitionProblem {
  field: string;
  reason: string;
}

/** Placeholder that inject values of the OAuth modes use for the current access token. */
export const ACCESS_TOKEN_PLACEHOLDER = 'accessToken';

const CONNECTOR_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const FIELD_NAME_PATTERN = '^[a-zA-Z][a-zA-Z0-9_]{0,63}$';
const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/** Allowed characters of query and authorization parameter names. */
export const PARAMETER_NAME_PATTERN = '^[A-Za-z0-9._~-]+$';
// RFC 6749, section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$';
const INSTANCE_HOST_PATTERN = '^(\\*\\.)?[a-z0-9-]+(\\.[a-z0-9-]+)+$';

/** Reasons shown when a value does not match one of the schema's patterns, by pattern. */
export const PATTERN_DESCRIPTIONS: Record<string, string> = {
  [CONNECTOR_ID_PATTERN]: 'must be 1 to 63 lowercase letters, digits and hyphens, starting with a letter or digit',
  [FIELD_NAME_PATTERN]: 'must be a letter followed by up to 63 letters, digits or underscores',
  [HEADER_NAME_PATTERN]: 'must be a valid HTTP header name',
  [PARAMETER_NAME_PATTERN]: 'must contain only letters, digits, ".", "_", "~" and "-"',
  [SCOPE_PATTERN]: 'must be a scope without spaces, double quotes or backslashes',
  [INSTANCE_HOST_PATTERN]: 'must be a lowercase host name such as eu.example.com, optionally starting with "*."',
};

const FieldDefinitionSchema = Type.Object(
  {
    name: Type.String({ pattern: FIELD_NAME_PATTERN }),
    label: Type.String({ minLength: 1, maxLength: 200 }),
    help: Type.Optional(Type.String({ maxLength: 1000 })),
    secret: Type.Optional(Type.Boolean()),
    pattern: Type.Optional(Type.String({ minLength: 1 })),
    enum: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
    optional: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const AuthSchema = Type.Object(
  {
    mode: Type.Enum(['oauth2', 'oauth2_client_credentials', 'api_key', 'basic', 'none']),
    authorizationUrl: Type.Optional(Type.String({ minLength: 1 })),
    tokenUrl: Type.Optional(Type.String({ minLength: 1 })),
    scopes: Type.Optional(Type.Array(Type.String({ pattern: SCOPE_PATTERN }), { uniqueItems: true })),
    scopeSeparator: Type.Optional(Type.Enum([' ', ','])),
    pkce: Type.Optional(Type.Boolean()),
    clientAuth: Type.Optional(Type.Enum(['client_secret_basic', 'client_secret_post'])),
    authorizationParams: Type.Optional(Type.Record(Type.String(), Type.String())),
    issuer: Type.Optional(Type.String({ minLength: 1 })),
    // TODO: api.baseUrl cannot use the instance URL yet, so a provider such as Salesforce,
    // whose API host differs per customer, cannot be described until templates can refer to it.
    tokenResponse: Type.Optional(
      Type.Object(
        {
          instanceUrlField: Type.Optional(Type.String({ pattern: PARAMETER_NAME_PATTERN })),
          allowedInstanceHosts: Type.Optional(Type.Array(Type.String({ pattern: INSTANCE_HOST_PATTERN }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** JSON Schema of one shape of `api.inject`. */
export const HeaderInjectionSchema = Type.Object(
  { header: Type.String({ pattern: HEADER_NAME_PATTERN }), value: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
/** JSON Schema of one shape of `api.inject`. */
export const QueryInjectionSchema = Type.Object(
  { query: Type.String({ pattern: PARAMETER_NAME_PATTERN }), value: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
/** JSON Schema of one shape of `api.inject`. */
export const BasicInjectionSchema = Type.Object(
  {
    basic: Type.Object({ username: Type.String({ minLength: 1 }), password: Type.String() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

/** JSON Schema of a connector definition file, before defaults are applied. */
export const ConnectorDefinitionSchema = Type.Object(
  {
    id: Type.String({ pattern: CONNECTOR_ID_PATTERN }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    logo: Type.Optional(Type.String({ minLength: 1 })),
    docsUrl: Type.Optional(Type.String({ minLength: 1 })),
    auth: AuthSchema,
    fields: Type.Optional(Type.Array(FieldDefinitionSchema)),
    api: Type.Object(
      {
        baseUrl: Type.String({ minLength: 1 }),
        inject: Type.Union([HeaderInjectionSchema, QueryInjectionSchema, BasicInjectionSchema]),
      },
      { additionalProperties: false },
    ),
    verify: Type.Optional(
      Type.Object(
        {
          method: Type.Optional(Type.Enum(['GET', 'POST', 'HEAD'])),
          path: Type.String({ minLength: 1 }),
          expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
        },
        { additionalProperties: false },
      ),
    ),
    allowPrivateNetwork: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A connector definition file as written, before defaults are applied. */
export type ConnectorDefinitionDocument = Static<typeof ConnectorDefinitionSchema>;

/** Tells whether a mode obtains an access token from an OAuth 2 token endpoint. */
export function isOAuthMode(mode: AuthMode): mode is 'oauth2' | 'oauth2_client_credentials' {
  return mode === 'oauth2' || mode === 'oauth2_client_credentials';
}
