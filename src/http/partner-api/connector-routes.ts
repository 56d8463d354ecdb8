import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

import {
  deauthenticateAccountConnector,
  deleteAccountConnector,
  getAccountConnectorRow,
  installConnector,
  listAccountConnectors,
  toAccountConnector,
} from '../../domain/account-connectors.ts';
import { getConnectorDefinition, listConnectors, setOAuthApp, toConnectorSummary } from '../../domain/connectors.ts';
import type { DomainContext } from '../../domain/context.ts';
import { readCredentials } from '../../domain/credentials.ts';
import {
  AccountConnector,
  AccountConnectorParams,
  AccountParams,
  Connector,
  ConnectorParams,
  Credentials,
  InstallConnectorBody,
  OAuthApp,
  OAuthAppBody,
  PageQuery,
  pageOf,
  pageOptions,
} from './schemas.ts';

/** Routes for the connector catalog, account connectors and their credentials. */
export async function registerConnectorRoutes(app: FastifyInstance, context: DomainContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/connectors',
    { schema: { tags: ['catalog'], response: { 200: Type.Object({ items: Type.Array(Connector) }) } } },
    async () => ({
      items: await listConnectors(context),
    }),
  );

  api.get(
    '/v1/connectors/:connectorId',
    { schema: { tags: ['catalog'], params: ConnectorParams, response: { 200: Connector } } },
    async (request) => toConnectorSummary(context, getConnectorDefinition(context, request.params.connectorId)),
  );

  api.put(
    '/v1/connectors/:connectorId/oauth-app',
    { schema: { tags: ['catalog'], params: ConnectorParams, body: OAuthAppBody, response: { 200: OAuthApp } } },
    async (request) => setOAuthApp(context, request.params.connectorId, request.body),
  );

  api.post(
    '/v1/accounts/:accountId/connectors',
    { schema: { tags: ['account connectors'], params: AccountParams, body: InstallConnectorBody, response: { 201: AccountConnector } } },
    async (request, reply) => reply.code(201).send(await installConnector(context, request.params.accountId, request.body)),
  );

  api.get(
    '/v1/accounts/:accountId/connectors',
    {
      schema: { tags: ['account connectors'], params: AccountParams, querystring: PageQuery, response: { 200: pageOf(AccountConnector) } },
    },
    async (request) => listAccountConnectors(context, request.params.accountId, pageOptions(request.query)),
  );

  api.get(
    '/v1/accounts/:accountId/connectors/:accountConnectorId',
    { schema: { tags: ['account connectors'], params: AccountConnectorParams, response: { 200: AccountConnector } } },
    async (request) =>
      toAccountConnector(await getAccountConnectorRow(context, request.params.accountId, request.params.accountConnectorId)),
  );

  api.delete(
    '/v1/accounts/:accountId/connectors/:accountConnectorId',
    { schema: { tags: ['account connectors'], params: AccountConnectorParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await deleteAccountConnector(context, request.params.accountId, request.params.accountConnectorId);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/v1/accounts/:accountId/connectors/:accountConnectorId/deauthenticate',
    { schema: { tags: ['account connectors'], params: AccountConnectorParams, response: { 200: AccountConnector } } },
    async (request) =>
      deauthenticateAccountConnector(context, request.params.accountId, request.params.accountConnectorId, request.apiKeyId),
  );

  api.get(
    '/v1/accounts/:accountId/connectors/:accountConnectorId/credentials',
    { schema: { tags: ['credentials'], params: AccountConnectorParams, response: { 200: Credentials } } },
    async (request) => readCredentials(context, request.params.accountId, request.params.accountConnectorId, request.apiKeyId),
  );
}
