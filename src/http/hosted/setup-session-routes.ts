import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { DomainContext } from '../../domain/context.ts';
import { startAuthorization } from '../../domain/oauth-authorization.ts';
import {
  findSetupSession,
  MAX_FAILED_SUBMISSIONS,
  presetValues,
  submitCredentials,
  type SetupSessionView,
} from '../../domain/setup-sessions.ts';
import type { HostedCookies } from './cookies.ts';
import { formActionOriginsFor, usesAuthorizationRedirect } from './form-action.ts';
import { isCsrfValid, readForm } from './form-input.ts';
import type { PageRenderer } from './page-renderer.ts';

/** Remaining attempts at which the form starts warning that the link will lock. */
const ATTEMPTS_WARNING_THRESHOLD = 5;

/** Registers the setup session page, the credentials form and the start of an OAuth flow. */
export async function registerSetupSessionRoutes(
  app: FastifyInstance,
  deps: { context: DomainContext; pages: PageRenderer; cookies: HostedCookies },
): Promise<void> {
  const { context, pages, cookies } = deps;
  const publicOrigin = new URL(context.config.publicUrl).origin;

  app.get('/connect/session', async (request, reply) => {
    const view = await findSetupSession(context, cookies.readSession(request));
    if (view === undefined) {
      return pages.sendForbidden(request, reply);
    }
    if (view.state === 'completed') {
      return pages.sendConnected(request, reply, {
        connectorName: view.definition.name,
        accountConnectorId: view.accountConnector.id,
        successUrl: view.token.success_url,
      });
    }
    return sendSessionForm(request, reply, view, {});
  });

  app.post('/connect/session', async (request, reply) => {
    const view = await findSetupSession(context, cookies.readSession(request));
    const form = readForm(request);
    if (view === undefined || view.state !== 'active' || !isCsrfValid(request, form.csrf, view.session.csrf_token, publicOrigin)) {
      return pages.sendForbidden(request, reply);
    }
    if (usesAuthorizationRedirect(view)) {
      return reply.redirect('/connect/session', 303);
    }

    const { csrf: _csrf, ...values } = form;
    const result = await submitCredentials(context, view, values);
    if (result.ok) {
      return reply.redirect('/connect/session', 303);
    }
    if (result.locked) {
      return pages.sendForbidden(request, reply);
    }
    return sendSessionForm(request, reply, view, {
      status: 422,
      fieldErrors: result.fieldErrors,
      formError: result.formError,
      values: result.enteredValues,
      failedAttempts: view.session.failed_attempts + 1,
    });
  });

  app.post('/connect/session/oauth', async (request, reply) => {
    const view = await findSetupSession(context, cookies.readSession(request));
    const form = readForm(request);
    if (view === undefined || view.state !== 'active' || !isCsrfValid(request, form.csrf, view.session.csrf_token, publicOrigin)) {
      return pages.sendForbidden(request, reply);
    }
    if (!usesAuthorizationRedirect(view)) {
      return reply.redirect('/connect/session', 303);
    }

    const { csrf: _csrf, ...values } = form;
    const start = await startAuthorization(context, view, values);
    if (!start.ok) {
      return sendSessionForm(request, reply, view, {
        status: 422,
        fieldErrors: start.fieldErrors,
        formError: null,
        values: start.enteredValues,
      });
    }
    return reply.redirect(start.redirectUrl.href, 303);
  });

  function sendSessionForm(
    request: FastifyRequest,
    reply: FastifyReply,
    view: SetupSessionView,
    state: {
      status?: number;
      fieldErrors?: Record<string, string>;
      formError?: string | null;
      values?: Record<string, string>;
      failedAttempts?: number;
    },
  ): FastifyReply {
    const { definition } = view;
    const presets = presetValues(view);
    const isOAuth = usesAuthorizationRedirect(view);
    // An OAuth page shows only the non-secret fields that its URLs need, such as a subdomain.
    const fields = definition.fields
      .filter((field) => !isOAuth || !field.secret)
      .map((field) => ({
        name: field.name,
        label: field.label,
        help: field.help ?? null,
        secret: field.secret,
        optional: field.optional,
        options: field.enum ?? null,
        preset: field.name in presets,
        value: presets[field.name] ?? state.values?.[field.name] ?? '',
        error: state.fieldErrors?.[field.name] ?? null,
      }));

    const attemptsLeft = MAX_FAILED_SUBMISSIONS - (state.failedAttempts ?? view.session.failed_attempts);
    return pages.send(
      request,
      reply,
      'session',
      {
        connectorName: definition.name,
        accountName: view.account.name,
        csrf: view.session.csrf_token,
        action: isOAuth ? '/connect/session/oauth' : '/connect/session',
        buttonLabel: isOAuth ? `Continue to ${definition.name}` : 'Save',
        fields,
        formError: state.formError ?? null,
        attemptsLeft: attemptsLeft <= ATTEMPTS_WARNING_THRESHOLD ? attemptsLeft : null,
      },
      { status: state.status ?? 200, formActionOrigins: formActionOriginsFor(view) },
    );
  }
}
