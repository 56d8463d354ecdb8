/**
 * Returns the origin of an authorization URL for the page's `form-action` policy.
 *
 * A template host such as `{subdomain}.example.com` becomes `https://*.example.com`,
 * which CSP source expressions allow.
 */
export function authorizationOrigin(template: string): string {
  const match = /^(https?):\/\/([^/?#]+)/.exec(template);
  if (match === null) {
    return "'none'";
  }
  const host = match[2]!.replace(/^[^.]*\{[^}]+\}[^.]*(?=\.)/, '*');
  return `${match[1]}://${host.replace(/\{[^}]+\}/g, '*')}`;
}
