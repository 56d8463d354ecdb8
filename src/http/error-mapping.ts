import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import { ERROR_CATALOG, LatchkeyError, type ErrorCode } from '../domain/errors.ts';

/** An error reduced to what a response may show. */
export interface PublicError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  /** True for unexpected errors, which are logged whole. */
  unexpected: boolean;
}

/** Fastify's own error codes, with the catalog code and, where the catalog's is too vague, a message. */
const FASTIFY_CODES: Partial<Record<string, { code: ErrorCode; message?: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_request', message: 'The request body is empty; send a JSON object.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_request', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_request', message: 'The Content-Length header does not match the body.' },
};

/**
 * Maps any thrown value to a catalog code, status and a message safe to return.
 *
 * Validation messages name the field and the rule (such as the maximum length) but never
 * repeat the input.
 */
export function toPublicError(error: unknown): PublicError {
  if (error instanceof LatchkeyError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      unexpected: false,
    };
  }
  const fastifyError = error as Partial<FastifyError> & { code?: string };
  if (fastifyError.code === 'invalid_cursor') {
    return fromCatalog('invalid_cursor');
  }
  if (fastifyError.validation !== undefined) {
    return fromValidationError(fastifyError.validation[0], fastifyError.validationContext ?? 'body');
  }
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined) {
    const { status, message } = ERROR_CATALOG[mapped.code];
    return { status, code: mapped.code, message: mapped.message ?? message, unexpected: false };
  }
  const status = fastifyError.statusCode;
  if (status === 429) {
    return fromCatalog('rate_limited');
  }
  if (status !== undefined && status >= 400 && status < 500) {
    let code: ErrorCode = 'invalid_request';
    if (status === 404) {
      code = 'not_found';
    } else if (status === 405) {
      code = 'method_not_allowed';
    }
    return {
      status,
      code,
      message: 'The request is invalid.',
      unexpected: false,
    };
  }
  return { ...fromCatalog('internal_error'), unexpected: true };
}

/** Builds a message that names the field and the rule it broke, without repeating the input. */
function fromValidationError(
  first: FastifyError['validation'] extends (infer T)[] | undefined ? T | undefined : never,
  part: string,
): PublicError {
  const params = (first?.params ?? {}) as {
    missingProperty?: string;
    additionalProperty?: string;
    allowedValues?: unknown[];
    limit?: number;
  };
  const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replaceAll('/', '.') : '';
  const field = `${part}${path ? `.${path}` : ''}`;

  let message: string;
  switch (first?.keyword) {
    case 'required':
      message = `${field}.${params.missingProperty} is required`;
      break;
    case 'additionalProperties':
      message = `${field} has the unknown property "${String(params.additionalProperty).slice(0, 64)}"`;
      break;
    case 'enum':
      message = `${field} must be one of: ${(params.allowedValues ?? []).map(String).join(', ')}`;
      break;
    case 'maxLength':
      message = `${field} must be at most ${params.limit} characters long`;
      break;
    case 'type':
      message =
        part === 'body' && path === '' ? 'The request body must be a JSON object' : `${field} ${first.message ?? 'has the wrong type'}`;
      break;
    default:
      message = `${field} ${first?.message ?? 'is invalid'}`;
  }
  return {
    status: 400,
    code: first?.keyword === 'maxLength' ? 'field_too_long' : 'invalid_request',
    message: `${message}.`,
    unexpected: false,
  };
}

function fromCatalog(code: ErrorCode): PublicError {
  return { status: ERROR_CATALOG[code].status, code, message: ERROR_CATALOG[code].message, unexpected: false };
}

/**
 * Sends any error as the API's JSON error body: `code`, `message`, the request id and any
 * `details`. Unexpected errors are logged whole, server errors by code and message.
 */
export function sendApiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const publicError = toPublicError(error);
  if (publicError.unexpected) {
    request.log.error({ err: error }, 'request failed unexpectedly');
  } else if (publicError.status >= 500) {
    request.log.warn({ err: { code: publicError.code, message: publicError.message } }, 'request failed');
  }
  return reply.code(publicError.status).send({
    code: publicError.code,
    message: publicError.message,
    requestId: request.id,
    ...(publicError.details ? { details: publicError.details } : {}),
  });
}
