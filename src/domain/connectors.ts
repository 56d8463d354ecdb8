import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';

/** A catalog entry as the partner API returns it. */
export interface ConnectorSummary {
  id: string;
  name: string;
  logo: string | null;
  docsUrl: string | null;
  authMode: string;
  fields: {
    name: string;
    label: string;
    help: string | null;
    secret: boolean;
    optional: boolean;
    pattern: string | null;
    enum: string[] | null;
  }[];
  oauthAppConfigured: boolean | null;
}

/** OAuth client of the partner for one connector, with the secret opened. */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  scopes: string[] | null;
}

const OAUTH_MODES = new Set(['oauth2', 'oauth2_client_credentials']);

/** Returns the connector definition or throws `connector_not_found`. */
export function getConnectorDefinition(context: DomainContext, connectorId: string): ConnectorDefinition {
  const definition = context.catalog.find(connectorId);
  if (definition === undefined) {
    throw new LatchkeyError('connector_not_found', `No connector in the catalog has the id "${connectorId}".`);
  }
  return definition;
}

export async function toConnectorSummary(context: DomainContext, definition: ConnectorDefinition): Promise<ConnectorSummary> {
  const usesOAuthApp = OAUTH_MODES.has(definition.auth.mode);
  return {
    id: definition.id,
    name: definition.name,
    logo: definition.logo ?? null,
    docsUrl: definition.docsUrl ?? null,
    authMode: definition.auth.mode,
    fields: definition.fields.map((field) => ({
      name: field.name,
      label: field.label,
      help: field.help ?? null,
      secret: field.secret,
      optional: field.optional,
      pattern: field.pattern ?? null,
      enum: field.enum ? [...field.enum] : null,
    })),
    oauthAppConfigured: usesOAuthApp ? (await context.repositories.oauthApps.find(definition.id)) !== undefined : null,
  };
}

export async function listConnectors(context: DomainContext): Promise<ConnectorSummary[]> {
  return Promise.all(context.catalog.list().map((definition) => toConnectorSummary(context, definition)));
}

/** Stores the partner's OAuth client for a connector; the secret is sealed and bound to the connector id. */
export async function setOAuthApp(
  context: DomainContext,
  connectorId: string,
  input: { clientId: string; clientSecret: string; scopes?: string[] },
): Promise<{ connectorId: string; clientId: string; scopes: string[] | null; updatedAt: string }> {
  const definition = getConnectorDefinition(context, connectorId);
  if (!OAUTH_MODES.has(definition.auth.mode)) {
    throw new LatchkeyError(
      'connector_mode_mismatch',
      `The connector "${connectorId}" uses ${definition.auth.mode}, which needs no OAuth app.`,
    );
  }
  const clientId = input.clientId.trim();
  const clientSecret = input.clientSecret.trim();
  if (clientId === '' || clientSecret === '') {
    throw new LatchkeyError('invalid_request', 'clientId and clientSecret must not be empty.');
  }

  const now = context.clock.now().toISOString();
  const existing = await context.repositories.oauthApps.find(connectorId);
  await context.repositories.oauthApps.upsert({
    connector_id: connectorId,
    client_id: clientId,
    client_secret_sealed: context.sealer.seal(clientSecret, oauthAppSealContext(connectorId)),
    scopes: input.scopes === undefined ? null : JSON.stringify(input.scopes),
    created_at: existing?.created_at ?? now,
    updated_at: now,
  });
  context.logger.info({ connectorId }, 'OAuth app stored');
  return { connectorId, clientId, scopes: input.scopes ?? null, updatedAt: now };
}

/** Returns the partner's OAuth client for a connector or throws `oauth_app_missing`. */
export async function getOAuthApp(context: DomainContext, connectorId: string): Promise<OAuthApp> {
  const row = await context.repositories.oauthApps.find(connectorId);
  if (row === undefined) {
    throw new LatchkeyError(
      'oauth_app_missing',
      `Set the OAuth app of "${connectorId}" first: PUT /v1/connectors/${connectorId}/oauth-app.`,
    );
  }
  return {
    clientId: row.client_id,
    clientSecret: context.sealer.open(row.client_secret_sealed, oauthAppSealContext(connectorId)),
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
  };
}

/** Associated data that binds a sealed client secret to its connector. */
export function oauthAppSealContext(connectorId: string): string {
  return `oauth_apps:${connectorId}:client_secret`;
}
