import type { FastifyInstance } from 'fastify';

import type { DomainContext } from '../../domain/context.ts';
import { getAuthorizationResult, handleAuthorizationCallback } from '../../domain/oauth-authorization.ts';
import { OAUTH_CALLBACK_PATH } from '../../domain/oauth-server.ts';
import { findSetupSession } from '../../domain/setup-sessions.ts';
import type { HostedCookies } from './cookies.ts';
import { formActionOriginsFor } from './form-action.ts';
import type { PageRenderer } from './page-renderer.ts';

/** Explanations shown when an authorization did not complete, by error code. */
const FAILURE_EXPLANATIONS: Record<string, string> = {
  oauth_access_denied: 'Access was not granted. If that was a mistake, try again and choose to allow access.',
  oauth_authorization_error: 'The app reported an error while you were signing in.',
  setup_session_ended: 'This setup link is no longer active. Ask the sender for a new link.',
};
const DEFAULT_EXPLANATION = 'The app did not confirm the connection. Try again in a moment.';

/** Registers the OAuth redirect URI and the page that shows how an authorization ended. */
export async function registerOAuthCallbackRoutes(
  app: FastifyInstance,
  deps: { context: DomainContext; pages: PageRenderer; cookies: HostedCookies },
): Promise<void> {
  const { context, pages, cookies } = deps;

  app.get(OAUTH_CALLBACK_PATH, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const attemptId = await handleAuthorizationCallback(context, new URLSearchParams(query));
    if (attemptId === undefined) {
      return pages.sendForbidden(request, reply);
    }
    // The result page's URL carries neither the code nor the state.
    return reply
      .header('Cache-Control', 'no-store')
      .header('Referrer-Policy', 'no-referrer')
      .redirect(`/connect/oauth/result/${attemptId}`, 303);
  });

  app.get<{ Params: { attemptId: string } }>('/connect/oauth/result/:attemptId', async (request, reply) => {
    const result = request.params.attemptId.length > 64 ? undefined : await getAuthorizationResult(context, request.params.attemptId);
    if (result === undefined) {
      return pages.sendForbidden(request, reply);
    }
    const { attempt, view, connectorName } = result;
    if (attempt.outcome === 'completed') {
      return pages.sendConnected(request, reply, {
        connectorName,
        accountConnectorId: view?.accountConnector.id ?? '',
        successUrl: view?.token.success_url ?? null,
      });
    }

    // The retry form appears only in the browser that has the session cookie, because only
    // that browser's cookie makes its CSRF value usable.
    const browserSession = await findSetupSession(context, cookies.readSession(request));
    const retryView =
      browserSession !== undefined && browserSession.state === 'active' && browserSession.session.id === view?.session.id
        ? browserSession
        : undefined;
    return pages.send(
      request,
      reply,
      'oauth-failed',
      {
        connectorName,
        accountConnectorId: view?.accountConnector.id ?? '',
        explanation: FAILURE_EXPLANATIONS[attempt.error_code ?? ''] ?? DEFAULT_EXPLANATION,
        retry:
          retryView === undefined
            ? null
            : { csrf: retryView.session.csrf_token, values: JSON.parse(attempt.field_values) as Record<string, string> },
      },
      { notify: true, formActionOrigins: retryView === undefined ? [] : formActionOriginsFor(retryView) },
    );
  });
}
