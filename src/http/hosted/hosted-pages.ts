import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FastifyInstance } from 'fastify';

import type { DomainContext } from '../../domain/context.ts';
import { toPublicError } from '../error-mapping.ts';
import { HostedCookies } from './cookies.ts';
import { registerOAuthCallbackRoutes } from './oauth-callback-routes.ts';
import { PageRenderer, type HostedPageConfig } from './page-renderer.ts';
import { registerSetupLinkRoutes } from './setup-link-routes.ts';
import { registerSetupSessionRoutes } from './setup-session-routes.ts';

const ASSETS_DIRECTORY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'style.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(ASSETS_DIRECTORY, 'style.css')) },
  'notify.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(ASSETS_DIRECTORY, 'notify.js')) },
};

/** Pages for errors that are not about the setup token, by HTTP status. */
const ERROR_PAGES: Record<number, { heading: string; text: string }> = {
  413: { heading: 'Too much data', text: 'The form sent more data than allowed. Shorten the values and try again.' },
  429: { heading: 'Too many attempts', text: 'Wait a minute, then try again.' },
};
/** Page for server failures and for an OAuth connector whose OAuth app the partner has not set. */
const FAILURE_PAGE = {
  heading: 'Something went wrong',
  text: 'The connection could not be set up. Try again later, or ask the sender for help and quote the request id.',
};

/** Options of the hosted pages plugin. */
export interface HostedPagesOptions {
  context: DomainContext;
  page: HostedPageConfig;
  sessionWindowSeconds: number;
  /** Redemption and paste attempts allowed per client address in each window, in milliseconds. */
  redeemRateLimit: { max: number; timeWindow: number };
}

/** Registers the pages shown to customers: landing, paste form, setup session, OAuth return. */
export async function hostedPages(app: FastifyInstance, options: HostedPagesOptions): Promise<void> {
  const { context } = options;
  const pages = new PageRenderer(options.page);
  const cookies = new HostedCookies(context.config.publicUrl, options.sessionWindowSeconds);

  app.setErrorHandler(async (error, request, reply) => {
    const publicError = toPublicError(error);
    const isFailure = publicError.status >= 500 || publicError.code === 'oauth_app_missing';
    if (publicError.unexpected) {
      request.log.error({ err: error }, 'hosted page failed unexpectedly');
    } else if (isFailure) {
      request.log.error({ err: { code: publicError.code, message: publicError.message } }, 'hosted page failed');
    }

    if (isFailure) {
      return pages.send(request, reply, 'message', FAILURE_PAGE, { status: publicError.code === 'oauth_app_missing' ? 503 : 500 });
    }
    const page = ERROR_PAGES[publicError.status];
    if (page === undefined) {
      return pages.sendForbidden(request, reply);
    }
    return pages.send(request, reply, 'message', page, { status: publicError.status });
  });

  app.get<{ Params: { name: string } }>('/connect/assets/:name', async (request, reply) => {
    const asset = ASSETS[request.params.name];
    if (asset === undefined) {
      return reply.code(404).type('text/plain').send('Not found');
    }
    return reply
      .header('Cache-Control', 'public, max-age=3600')
      .header('X-Content-Type-Options', 'nosniff')
      .type(asset.type)
      .send(asset.body);
  });

  await registerSetupLinkRoutes(app, { context, pages, cookies, redeemRateLimit: options.redeemRateLimit });
  await registerSetupSessionRoutes(app, { context, pages, cookies });
  await registerOAuthCallbackRoutes(app, { context, pages, cookies });
}
