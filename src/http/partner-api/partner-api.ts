import type { FastifyInstance } from 'fastify';

import type { DomainContext } from '../../domain/context.ts';
import { sendApiError } from '../error-mapping.ts';
import { setApiHeaders } from '../security-headers.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { createApiKeyHook } from './authenticate.ts';
import { registerConnectorRoutes } from './connector-routes.ts';
import { configureRequestValidation } from './request-validation.ts';
import { ErrorResponse } from './schemas.ts';
import { registerSetupTokenRoutes } from './setup-token-routes.ts';

/** Registers the partner API (v1): bearer API keys, JSON errors with a stable code and the request id. */
export async function partnerApi(app: FastifyInstance, options: { context: DomainContext }): Promise<void> {
  const { context } = options;
  configureRequestValidation(app);
  app.addSchema(ErrorResponse);
  // Every route documents the shared error shape, so the OpenAPI document lists it too.
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {});
    schema.response = { ...(schema.response as object), '4XX': { $ref: 'ErrorResponse#' }, '5XX': { $ref: 'ErrorResponse#' } };
  });
  app.addHook('onRequest', async (_request, reply) => setApiHeaders(reply));
  app.addHook('onRequest', createApiKeyHook(context));

  app.setErrorHandler(async (error, request, reply) => sendApiError(error, request, reply));

  await registerAccountRoutes(app, context);
  await registerConnectorRoutes(app, context);
  await registerSetupTokenRoutes(app, context);
}
