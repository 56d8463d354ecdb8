import type { ConnectorDefinition } from './connector-definition.ts';
import { checkHeaderSafe } from './input-hygiene.ts';
import { renderUrlTemplate, renderValueTemplate } from './render-template.ts';

/** Method, path below the connector's base URL, and query parameters of an API request. */
export interface ConnectorRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
}

/** URL and credential headers of a request to a connector's API. */
export interface AuthenticatedRequest {
  url: URL;
  headers: Record<string, string>;
}

/** Error raised when a request path, its query or a credential value cannot be used. */
export class AuthenticatedRequestError extends Error {
  readonly code: 'invalid_request_path' | 'invalid_request_query' | 'invalid_credential_value';

  constructor(code: AuthenticatedRequestError['code'], message: string) {
    super(message);
    this.name = 'AuthenticatedRequestError';
    this.code = code;
  }
}

/**
 * Returns why a request path cannot be joined to a base URL, or undefined when it can.
 *
 * The path must start with "/" and may not contain "//", a backslash, "?", "#", white space,
 * control characters, or a "." or ".." segment (also percent-encoded). URL parsers resolve
 * each of these in a way that could leave the base URL's path or host.
 */
export function findRequestPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with "/"';
  if (path.includes('//')) return 'must not contain "//" or a full URL';
  if (path.includes('\\')) return 'must not contain a backslash';
  if (path.includes('?') || path.includes('#')) return 'must not contain "?" or "#" (send query parameters separately)';
  // eslint-disable-next-line no-control-regex -- the check exists to find control characters.
  if (/[\u0000-\u0020\u007f-\u009f]/.test(path)) return 'must not contain white space or control characters';

  const dotSegment = path
    .split('/')
    .map((segment) => segment.replace(/%2e/gi, '.'))
    .find((segment) => segment === '.' || segment === '..');
  if (dotSegment !== undefined) return `must not contain a "${dotSegment}" segment`;

  return undefined;
}

/**
 * Builds the URL and credential headers of a request to a connector's API.
 *
 * The base URL is rendered from `api.baseUrl` with the field values, and the path is
 * appended to it. The result must keep the base URL's origin and path prefix, so a
 * request can reach no other host through the connector. `values` contains the cleaned
 * field values and, for the OAuth modes, `accessToken`. Credential values are checked
 * again here, because an access token comes from the provider and not from the form.
 */
export function buildAuthenticatedRequest(
  definition: ConnectorDefinition,
  values: Record<string, string>,
  request: ConnectorRequest,
): AuthenticatedRequest {
  const pathProblem = findRequestPathProblem(request.path);
  if (pathProblem) throw new AuthenticatedRequestError('invalid_request_path', `The request path ${pathProblem}.`);

  const base = renderUrlTemplate(definition.api.baseUrl, values, { allowPrivateNetwork: definition.allowPrivateNetwork });
  const basePath = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  url.pathname = `${basePath}${request.path}`;
  if (url.origin !== base.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
    throw new AuthenticatedRequestError('invalid_request_path', 'The request path leads outside the connector base URL.');
  }

  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.append(name, value);

  const headers: Record<string, string> = {};
  const inject = definition.api.inject;
  if ('header' in inject) {
    headers[inject.header] = renderCredential(inject.value, values, `The ${inject.header} header`);
  } else if ('query' in inject) {
    if (url.searchParams.has(inject.query)) {
      throw new AuthenticatedRequestError(
        'invalid_request_query',
        `The query parameter ${inject.query} carries the connector credentials and cannot be set by the request.`,
      );
    }
    url.searchParams.set(inject.query, renderCredential(inject.value, values, `The ${inject.query} query parameter`));
  } else {
    headers['Authorization'] = buildBasicAuthorization(inject.basic, values);
  }

  return { url, headers };
}

function buildBasicAuthorization(basic: { username: string; password: string }, values: Record<string, string>): string {
  const username = renderCredential(basic.username, values, 'The Basic user name');
  const password = renderCredential(basic.password, values, 'The Basic password');
  if (username.includes(':')) {
    throw new AuthenticatedRequestError(
      'invalid_credential_value',
      'The Basic user name contains ":", which HTTP Basic authentication does not allow.',
    );
  }
  // RFC 7617, section 2: user-id ":" password, base64-encoded.
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function renderCredential(template: string, values: Record<string, string>, label: string): string {
  const value = renderValueTemplate(template, values);
  const unsafe = checkHeaderSafe(value, label);
  if (unsafe) throw new AuthenticatedRequestError('invalid_credential_value', unsafe);
  return value;
}
