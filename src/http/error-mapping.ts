import type { FastifyError } from 'fastify';

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

const FASTIFY_CODES: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
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
    const message = mapped === 'invalid_request' ? 'The request body is not valid JSON.' : ERROR_CATALOG[mapped].message;
    return { status: ERROR_CATALOG[mapped].status, code: mapped, message, unexpected: false };
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
