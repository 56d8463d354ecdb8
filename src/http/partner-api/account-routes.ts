import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

import { createAccount, deleteAccount, getAccountRow, listAccounts, toAccount, updateAccount } from '../../domain/accounts.ts';
import { grantAccountAccess, listAccountUsers, removeAccountAccess } from '../../domain/account-users.ts';
import type { DomainContext } from '../../domain/context.ts';
import {
  Account,
  AccountParams,
  AccountUser,
  AccountUserParams,
  CreateAccountBody,
  GrantAccessBody,
  PageQuery,
  UpdateAccountBody,
  pageOf,
  pageOptions,
} from './schemas.ts';

/** Routes for accounts and the account users with access to them. */
export async function registerAccountRoutes(app: FastifyInstance, context: DomainContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/accounts',
    { schema: { tags: ['accounts'], body: CreateAccountBody, response: { 201: Account } } },
    async (request, reply) => {
      const account = await createAccount(context, request.body);
      return reply.code(201).send(account);
    },
  );

  api.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        querystring: Type.Intersect([PageQuery, Type.Object({ externalId: Type.Optional(Type.String({ maxLength: 200 })) })]),
        response: { 200: pageOf(Account) },
      },
    },
    async (request) =>
      listAccounts(context, {
        ...pageOptions(request.query),
        ...(request.query.externalId === undefined ? {} : { externalId: request.query.externalId }),
      }),
  );

  api.get(
    '/v1/accounts/:accountId',
    { schema: { tags: ['accounts'], params: AccountParams, response: { 200: Account } } },
    async (request) => toAccount(await getAccountRow(context, request.params.accountId)),
  );

  api.patch(
    '/v1/accounts/:accountId',
    { schema: { tags: ['accounts'], params: AccountParams, body: UpdateAccountBody, response: { 200: Account } } },
    async (request) => updateAccount(context, request.params.accountId, request.body),
  );

  api.delete(
    '/v1/accounts/:accountId',
    { schema: { tags: ['accounts'], params: AccountParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await deleteAccount(context, request.params.accountId);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/v1/accounts/:accountId/users',
    { schema: { tags: ['account users'], params: AccountParams, body: GrantAccessBody, response: { 201: AccountUser } } },
    async (request, reply) => reply.code(201).send(await grantAccountAccess(context, request.params.accountId, request.body)),
  );

  api.get(
    '/v1/accounts/:accountId/users',
    { schema: { tags: ['account users'], params: AccountParams, querystring: PageQuery, response: { 200: pageOf(AccountUser) } } },
    async (request) => listAccountUsers(context, request.params.accountId, pageOptions(request.query)),
  );

  api.delete(
    '/v1/accounts/:accountId/users/:accountUserId',
    { schema: { tags: ['account users'], params: AccountUserParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await removeAccountAccess(context, request.params.accountId, request.params.accountUserId);
      return reply.code(204).send(null);
    },
  );
}
