import type { FastifyReply, FastifyRequest } from 'fastify';

/** Query parameters whose values may be logged; every other value is replaced. */
const LOGGABLE_QUERY_PARAMETERS = new Set(['limit', 'error', 'externalId']);
/** Maximum length of a logged query value, so a crafted URL cannot flood the log. */
const MAX_LOGGED_VALUE_LENGTH = 64;

/**
 * Removes secrets from a request URL before it is logged.
 *
 * The path segment after `/connect/` is a setup token, so it is replaced. Query values are
 * kept only for parameters on the allow-list, so `code`, `state` and any new parameter are hidden.
 */
export function redactUrl(rawUrl: string): string {
  const [pathPart = '', query] = rawUrl.split('?', 2);
  let path = pathPart;
  if (/^\/connect\/[^/]+$/.test(path) && !/^\/connect\/(session|oauth|assets)$/.test(path)) {
    path = '/connect/[redacted]';
  }
  path = path.replace(/lk(st|ak)_[0-9A-Za-z]+/g, '[redacted]');
  if (query === undefined) {
    return path;
  }
  const parameters = new URLSearchParams(query);
  const redacted = [...parameters.keys()].map((name) =>
    LOGGABLE_QUERY_PARAMETERS.has(name)
      ? `${name}=${encodeURIComponent((parameters.get(name) ?? '').slice(0, MAX_LOGGED_VALUE_LENGTH))}`
      : `${encodeURIComponent(name)}=[redacted]`,
  );
  return `${path}?${redacted.join('&')}`;
}

/** Pino serializers that keep method, redacted URL and status, and never headers or bodies. */
export const requestSerializers = {
  req(request: FastifyRequest) {
    return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
  },
  res(reply: FastifyReply) {
    return { statusCode: reply.statusCode };
  },
};
