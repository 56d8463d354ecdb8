import type { FastifyReply } from 'fastify';

/** Origins a hosted page may send forms to and be framed by, beside its own. */
export interface PagePolicy {
  formActionOrigins?: readonly string[];
  embedOrigins: readonly string[];
  /** Allows scripts from this origin; pages without it run no script at all. */
  scriptSelf?: boolean;
}

/**
 * Sets the headers of every hosted page: no caching, no referrer, no indexing, and a
 * Content-Security-Policy that loads nothing from another origin.
 *
 * Chromium applies `form-action` to the redirects that follow a form submission, so a page
 * whose form leads to the OAuth provider or a success URL lists that origin there.
 */
export function setHostedPageHeaders(reply: FastifyReply, policy: PagePolicy): void {
  const formAction = ["'self'", ...(policy.formActionOrigins ?? [])].join(' ');
  const frameAncestors = policy.embedOrigins.length > 0 ? policy.embedOrigins.join(' ') : "'none'";
  const directives = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    policy.scriptSelf === true ? "script-src 'self'" : "script-src 'none'",
    `form-action ${formAction}`,
    `frame-ancestors ${frameAncestors}`,
    "base-uri 'none'",
  ];
  reply.header('Content-Security-Policy', directives.join('; '));
  reply.header('Cache-Control', 'no-store');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('X-Robots-Tag', 'noindex');
  reply.header('X-Content-Type-Options', 'nosniff');
  if (policy.embedOrigins.length === 0) {
    reply.header('X-Frame-Options', 'DENY');
  }
}

/** Sets the headers of every partner API response. */
export function setApiHeaders(reply: FastifyReply): void {
  reply.header('Cache-Control', 'no-store');
  reply.header('X-Content-Type-Options', 'nosniff');
}
