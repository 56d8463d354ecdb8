import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { setHostedPageHeaders } from '../security-headers.ts';

const VIEWS_DIRECTORY = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'views');

/** Partner branding and embedding settings shown on every hosted page. */
export interface HostedPageConfig {
  readonly partnerName: string;
  readonly partnerLogoUrl: string | null;
  readonly embedOrigins: readonly string[];
}

/** Options of one rendered page. */
export interface RenderOptions {
  status?: number;
  /** Origins, beside this one, that the page's form or its redirects lead to. */
  formActionOrigins?: readonly string[];
  /** Loads the script that posts the outcome to the embedding page. */
  notify?: boolean;
}

/**
 * Renders server-side hosted pages with Eta.
 *
 * `<%= %>` escapes HTML by default, so only the layout's body slot inserts markup as is.
 */
export class PageRenderer {
  private readonly eta = new Eta({ views: VIEWS_DIRECTORY, autoEscape: true, cache: true });

  constructor(private readonly config: HostedPageConfig) {}

  /** Sends a page with the hosted-page security headers. */
  send(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    data: Record<string, unknown>,
    options: RenderOptions = {},
  ): FastifyReply {
    const notify = options.notify === true && this.config.embedOrigins.length > 0;
    const html = this.eta.render(`./${template}`, {
      partnerName: this.config.partnerName,
      partnerLogoUrl: this.config.partnerLogoUrl?.startsWith('data:image/') ? this.config.partnerLogoUrl : null,
      embedOrigins: notify ? this.config.embedOrigins : [],
      notify,
      requestId: request.id,
      title: `${this.config.partnerName} – connect an app`,
      ...data,
    });
    setHostedPageHeaders(reply, {
      embedOrigins: this.config.embedOrigins,
      ...(options.formActionOrigins ? { formActionOrigins: options.formActionOrigins } : {}),
      ...(notify ? { scriptSelf: true } : {}),
    });
    return reply
      .code(options.status ?? 200)
      .type('text/html; charset=utf-8')
      .send(html);
  }

  /**
   * Sends the end of a completed setup: a redirect to the token's success URL when it has
   * one, otherwise the success page, which posts the outcome to an embedding page.
   */
  sendConnected(
    request: FastifyRequest,
    reply: FastifyReply,
    outcome: { connectorName: string; accountConnectorId: string; successUrl: string | null },
  ): FastifyReply {
    if (outcome.successUrl !== null) {
      return reply.header('Cache-Control', 'no-store').redirect(outcome.successUrl, 303);
    }
    return this.send(
      request,
      reply,
      'success',
      { connectorName: outcome.connectorName, accountConnectorId: outcome.accountConnectorId },
      { notify: true },
    );
  }

  /**
   * Sends the one page for every unusable setup token or session.
   *
   * Its bytes differ only in the request id, whatever the cause, so it reveals nothing.
   */
  sendForbidden(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    return this.send(request, reply, 'error', {}, { status: 403 });
  }
}
