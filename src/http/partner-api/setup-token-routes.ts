import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

import type { DomainContext } from '../../domain/context.ts';
import { createSetupToken, listSetupTokens, revokeSetupToken } from '../../domain/setup-tokens.ts';
import {
  AccountConnectorParams,
  CreateSetupTokenBody,
  CreatedSetupToken,
  PageQuery,
  SetupToken,
  SetupTokenParams,
  pageOf,
  pageOptions,
} from './schemas.ts';

/** Routes that issue, list and revoke setup tokens. */
export async function registerSetupTokenRoutes(app: FastifyInstance, context: DomainContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/accounts/:accountId/connectors/:accountConnectorId/setup-tokens',
    {
      schema: { tags: ['setup tokens'], params: AccountConnectorParams, body: CreateSetupTokenBody, response: { 201: CreatedSetupToken } },
    },
    async (request, reply) => {
      const created = await createSetupToken(context, {
        accountId: request.params.accountId,
        accountConnectorId: request.params.accountConnectorId,
        accountUserId: request.body.accountUserId,
        ...(request.body.expiresInSeconds === undefined ? {} : { expiresInSeconds: request.body.expiresInSeconds }),
        ...(request.body.successUrl === undefined ? {} : { successUrl: request.body.successUrl }),
        ...(request.body.revokeOutstanding === undefined ? {} : { revokeOutstanding: request.body.revokeOutstanding }),
        createdBy: request.apiKeyId,
      });
      return reply.code(201).send(created);
    },
  );

  api.get(
    '/v1/accounts/:accountId/connectors/:accountConnectorId/setup-tokens',
    { schema: { tags: ['setup tokens'], params: AccountConnectorParams, querystring: PageQuery, response: { 200: pageOf(SetupToken) } } },
    async (request) => listSetupTokens(context, request.params.accountId, request.params.accountConnectorId, pageOptions(request.query)),
  );

  api.post(
    '/v1/setup-tokens/:setupTokenId/revoke',
    { schema: { tags: ['setup tokens'], params: SetupTokenParams, response: { 200: SetupToken } } },
    async (request) => revokeSetupToken(context, request.params.setupTokenId, request.apiKeyId),
  );
}
