import type { FastifyRequest } from 'fastify';

import { safeEqual } from '../../crypto/prefixed-secret.ts';

/** Returns the form body as a map of single string values; repeated or non-string values are dropped. */
export function readForm(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  if (typeof body !== 'object' || body === null) {
    return {};
  }
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') {
      form[name] = value;
    }
  }
  return form;
}

/**
 * Checks a submitted CSRF value against the expected one, and an `Origin` header, when the
 * browser sent a real one, against the public origin.
 */
export function isCsrfValid(
  request: FastifyRequest,
  submitted: string | undefined,
  expected: string | undefined,
  publicOrigin: string,
): boolean {
  // Browsers send `Origin: null` for form posts from pages with `Referrer-Policy: no-referrer`,
  // as every hosted page has, so only a real origin that differs is rejected.
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && origin !== publicOrigin) {
    return false;
  }
  // Fetch metadata identifies a cross-site form post even when the origin is `null`.
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    return false;
  }
  return submitted !== undefined && expected !== undefined && expected !== '' && safeEqual(submitted, expected);
}
