import { Type, type Static } from 'typebox';

import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../storage/pagination.ts';

/** Maximum length of names and other short text fields. */
export const MAX_NAME_LENGTH = 200;
/** Maximum length of ids in paths and bodies. */
export const MAX_ID_LENGTH = 64;
export const MAX_URL_LENGTH = 2048;

export const ErrorResponse = Type.Object(
  {
    code: Type.String({ description: 'Stable machine-readable error code; see docs/errors.md.' }),
    message: Type.String(),
    requestId: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorResponse', description: 'Every error response of the API has this shape.' },
);

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});
export type PageQuery = Static<typeof PageQuery>;

/** Converts a page query to the options the domain takes, applying the default limit. */
export function pageOptions(query: PageQuery): { limit: number; cursor?: string } {
  return { limit: query.limit ?? DEFAULT_PAGE_LIMIT, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) };
}

/** Builds the schema of a page of items with its `nextCursor`. */
export function pageOf<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

const Id = (description: string) => Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const AccountParams = Type.Object({ accountId: Id('Account id, prefixed acc_.') });
export const AccountConnectorParams = Type.Object({
  accountId: Id('Account id, prefixed acc_.'),
  accountConnectorId: Id('Account connector id, prefixed acn_.'),
});
export const AccountUserParams = Type.Object({
  accountId: Id('Account id, prefixed acc_.'),
  accountUserId: Id('Account user id, prefixed usr_.'),
});
export const ConnectorParams = Type.Object({ connectorId: Id('Connector id from the catalog.') });
export const SetupTokenParams = Type.Object({ setupTokenId: Id('Setup token id, prefixed stk_.') });

export const Account = Type.Object({
  id: Type.String(),
  name: Type.String(),
  externalId: Nullable(Type.String()),
  parentAccountId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const CreateAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
    externalId: Type.Optional(Nullable(Type.String({ maxLength: MAX_NAME_LENGTH }))),
    parentAccountId: Type.Optional(Nullable(Id('Parent account id.'))),
  },
  { additionalProperties: false },
);

export const UpdateAccountBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH })),
    externalId: Type.Optional(Nullable(Type.String({ maxLength: MAX_NAME_LENGTH }))),
    parentAccountId: Type.Optional(Nullable(Id('Parent account id.'))),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AccountUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Nullable(Type.String()),
  role: Type.Union([Type.Literal('standard'), Type.Literal('administrator')]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const GrantAccessBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320 }),
    name: Type.Optional(Nullable(Type.String({ maxLength: MAX_NAME_LENGTH }))),
    role: Type.Optional(Type.Enum(['standard', 'administrator'])),
  },
  { additionalProperties: false },
);

export const ConnectorField = Type.Object({
  name: Type.String(),
  label: Type.String(),
  help: Nullable(Type.String()),
  secret: Type.Boolean(),
  optional: Type.Boolean(),
  pattern: Nullable(Type.String()),
  enum: Nullable(Type.Array(Type.String())),
});

export const Connector = Type.Object({
  id: Type.String(),
  name: Type.String(),
  logo: Nullable(Type.String()),
  docsUrl: Nullable(Type.String()),
  authMode: Type.String(),
  fields: Type.Array(ConnectorField),
  oauthAppConfigured: Nullable(Type.Boolean()),
});

export const OAuthAppBody = Type.Object(
  {
    clientId: Type.String({ minLength: 1, maxLength: 1024 }),
    clientSecret: Type.String({ minLength: 1, maxLength: 4096 }),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const OAuthApp = Type.Object({
  connectorId: Type.String(),
  clientId: Type.String(),
  scopes: Nullable(Type.Array(Type.String())),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const AccountConnector = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  connectorId: Type.String(),
  name: Type.String(),
  status: Type.Union([
    Type.Literal('unauthenticated'),
    Type.Literal('authenticated'),
    Type.Literal('needs_reauth'),
    Type.Literal('undecryptable'),
  ]),
  settings: Type.Record(Type.String(), Type.String()),
  authenticatedAt: Nullable(Type.String({ format: 'date-time' })),
  authenticatedBy: Nullable(Type.String({ description: 'Id of the account user who authenticated it.' })),
  setupTokenId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const InstallConnectorBody = Type.Object(
  {
    connectorId: Id('Connector id from the catalog.'),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH })),
    settings: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }), { maxProperties: 50 })),
  },
  { additionalProperties: false },
);

export const SetupTokenStatus = Type.Union([
  Type.Literal('issued'),
  Type.Literal('redeemed'),
  Type.Literal('completed'),
  Type.Literal('expired'),
  Type.Literal('revoked'),
  Type.Literal('failed'),
]);

export const CreateSetupTokenBody = Type.Object(
  {
    accountUserId: Id('The account user the authentication is attributed to.'),
    expiresInSeconds: Type.Optional(Type.Integer({ description: 'From 60 to 604800; default 300.' })),
    successUrl: Type.Optional(Type.String({ maxLength: MAX_URL_LENGTH })),
    revokeOutstanding: Type.Optional(
      Type.Boolean({ description: 'Revoke the other outstanding setup tokens of this account connector; default false.' }),
    ),
  },
  { additionalProperties: false },
);

export const CreatedSetupToken = Type.Object({
  id: Type.String(),
  token: Type.String({ description: 'Shown only in this response.' }),
  link: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  status: SetupTokenStatus,
});

export const SetupToken = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  accountConnectorId: Type.String(),
  accountUserId: Type.String(),
  status: SetupTokenStatus,
  reason: Nullable(Type.String()),
  successUrl: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  openedAt: Nullable(Type.String({ format: 'date-time' })),
  redeemedAt: Nullable(Type.String({ format: 'date-time' })),
  completedAt: Nullable(Type.String({ format: 'date-time' })),
  revokedAt: Nullable(Type.String({ format: 'date-time' })),
  failedAt: Nullable(Type.String({ format: 'date-time' })),
});

export const Credentials = Type.Object({
  mode: Type.String(),
  values: Type.Record(Type.String(), Type.String(), { description: "The customer's field values by field name, secrets included." }),
  accessToken: Type.Optional(Type.String()),
  tokenType: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  scopes: Type.Optional(Type.Array(Type.String())),
  instanceUrl: Type.Optional(Type.String()),
});
