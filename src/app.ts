import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';

import type { Config } from './config/config.ts';
import { createId } from './crypto/random-id.ts';
import type { DomainContext } from './domain/context.ts';
import { hostedPages } from './http/hosted/hosted-pages.ts';
import { LatchkeyError } from './domain/errors.ts';
import { sendApiError } from './http/error-mapping.ts';
import { redactUrl, requestSerializers } from './http/log-redaction.ts';
import { partnerApi } from './http/partner-api/partner-api.ts';
import type { DatabaseHandle } from './storage/database.ts';

/** Largest request body accepted, in bytes; larger bodies get 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Redemption and paste attempts allowed per client address per minute. */
export const DEFAULT_REDEEM_RATE_LIMIT = 30;

/** Dependencies that `buildApp` wires together. */
export interface AppDependencies {
  config: Config;
  database: DatabaseHandle;
  context: DomainContext;
  logger: Logger;
  /** Overrides the redemption rate limit, for tests that send many requests from one address. */
  redeemRateLimit?: number;
}

/**
 * Builds the HTTP server: the partner API under `/v1`, the hosted pages under `/connect`,
 * health checks and the OpenAPI document. It does not listen.
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, context } = deps;
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { serializers: requestSerializers }) as FastifyBaseLogger,
    genReqId: () => createId('req'),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    routerOptions: { maxParamLength: 500 },
  });

  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT_BYTES });
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey partner API',
        version: '1',
        description: 'Issue setup links and read the credentials they produce. Authenticate with "Authorization: Bearer <API key>".',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    hideUntagged: true,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await sql`select 1`.execute(deps.database.db);
      return { status: 'ready' };
    } catch (error) {
      request.log.error({ err: error }, 'database check failed');
      return sendApiError(new LatchkeyError('service_unavailable', 'The database is not reachable.'), request, reply);
    }
  });
  app.get('/openapi.json', async () => app.swagger());

  await app.register(partnerApi, { context });
  await app.register(hostedPages, {
    context,
    page: { partnerName: config.partnerName, partnerLogoUrl: config.partnerLogoUrl, embedOrigins: config.embedOrigins },
    sessionWindowSeconds: config.sessionWindowSeconds,
    redeemRateLimit: { max: deps.redeemRateLimit ?? DEFAULT_REDEEM_RATE_LIMIT, timeWindow: 60_000 },
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = redactUrl(request.url.split('?')[0] ?? '');
    return sendApiError(
      new LatchkeyError('not_found', `No route for ${request.method} ${path}.`),
      request,
      reply.header('Cache-Control', 'no-store'),
    );
  });
  app.setErrorHandler(async (error, request, reply) => sendApiError(error, request, reply));

  return app;
}
