import type { FastifyInstance } from 'fastify';

import type { DomainContext } from '../../domain/context.ts';
import { inspectSetupToken, redeemSetupToken } from '../../domain/setup-links.ts';
import type { HostedCookies } from './cookies.ts';
import { isCsrfValid, readForm } from './form-input.ts';
import type { PageRenderer } from './page-renderer.ts';

/** Maximum length of a setup token value accepted before any other check. */
const MAX_TOKEN_LENGTH = 200;

/** Registers the landing page, the paste form and the redemption of setup links. */
export async function registerSetupLinkRoutes(
  app: FastifyInstance,
  deps: { context: DomainContext; pages: PageRenderer; cookies: HostedCookies; redeemRateLimit: { max: number; timeWindow: number } },
): Promise<void> {
  const { context, pages, cookies } = deps;
  const publicOrigin = new URL(context.config.publicUrl).origin;

  app.get('/connect', async (request, reply) => {
    const csrf = cookies.ensureCsrf(request, reply);
    return pages.send(request, reply, 'paste', { csrf });
  });

  // GET and HEAD only show the page: mail scanners fetch every link, and must not spend the token.
  app.get<{ Params: { token: string } }>('/connect/:token', async (request, reply) => {
    const token = request.params.token;
    const target = token.length > MAX_TOKEN_LENGTH ? undefined : await inspectSetupToken(context, token);
    if (target === undefined) {
      return pages.sendForbidden(request, reply);
    }
    const csrf = cookies.ensureCsrf(request, reply);
    return pages.send(request, reply, 'landing', {
      token,
      csrf,
      connectorName: target.definition.name,
      accountName: target.account.name,
    });
  });

  app.post('/connect', { config: { rateLimit: deps.redeemRateLimit } }, async (request, reply) => {
    const form = readForm(request);
    const token = tokenFromInput(form.token ?? '');
    const csrfCookie = cookies.readCsrf(request);
    if (csrfCookie === undefined || !isCsrfValid(request, form.csrf, csrfCookie, publicOrigin) || token.length > MAX_TOKEN_LENGTH) {
      return pages.sendForbidden(request, reply);
    }

    const redemption = await redeemSetupToken(context, token, csrfCookie);
    if (redemption === undefined) {
      return pages.sendForbidden(request, reply);
    }
    // A double click's second response sets the same cookie again, in case the browser dropped the first.
    cookies.setSession(reply, redemption.sessionSecret);
    return reply.header('Cache-Control', 'no-store').redirect('/connect/session', 303);
  });
}

/** Accepts a pasted setup link as well as a bare token, taking the last path segment of a link. */
function tokenFromInput(input: string): string {
  const trimmed = input.trim();
  const match = /\/connect\/([^/?#\s]+)\/?(?:[?#].*)?$/.exec(trimmed);
  return match?.[1] ?? trimmed;
}
