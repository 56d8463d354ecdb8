import type { SetupSessionView } from '../../domain/setup-sessions.ts';

/** Returns true when the connector authenticates by redirecting the customer (authorization code). */
export function usesAuthorizationRedirect(view: Pick<SetupSessionView, 'definition'>): boolean {
  return view.definition.auth.mode === 'oauth2';
}

/**
 * Lists the origins, beside the page's own, that a session page's form may lead to.
 *
 * Chromium applies `form-action` to the redirects that follow a form post, so the OAuth
 * provider and the token's success URL must be listed.
 */
export function formActionOriginsFor(view: Pick<SetupSessionView, 'definition' | 'token'>): string[] {
  const origins: string[] = [];
  const authorizationUrl = view.definition.auth.authorizationUrl;
  if (usesAuthorizationRedirect(view) && authorizationUrl !== undefined) {
    origins.push(authorizationOrigin(authorizationUrl));
  }
  if (view.token.success_url !== null) {
    origins.push(new URL(view.token.success_url).origin);
  }
  return origins;
}

/**
 * Returns the origin of an authorization URL template for a `form-action` policy.
 *
 * A host with placeholders, such as `{subdomain}.example.com` or `api.{region}.example.com`,
 * becomes `https://*.example.com`: the literal labels after the last placeholder under a
 * wildcard, which CSP matches against any number of subdomain labels.
 */
export function authorizationOrigin(template: string): string {
  const match = /^(https?):\/\/([^/?#]+)/.exec(template);
  if (match === null) {
    return "'none'";
  }
  const [, scheme, host] = match as unknown as [string, string, string];
  const lastPlaceholder = host.lastIndexOf('}');
  if (lastPlaceholder === -1) {
    return `${scheme}://${host}`;
  }
  const suffix = host.slice(host.indexOf('.', lastPlaceholder) + 1);
  return `${scheme}://*.${suffix}`;
}
