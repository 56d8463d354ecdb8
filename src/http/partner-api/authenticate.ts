import type { FastifyReply, FastifyRequest } from 'fastify';

import { findApiKey } from '../../domain/api-keys.ts';
import type { DomainContext } from '../../domain/context.ts';
import { LatchkeyError } from '../../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Id of the API key that authenticated this partner API request. */
    apiKeyId: string;
  }
}

/** Builds the hook that requires a valid bearer API key on every partner API route. */
export function createApiKeyHook(context: DomainContext) {
  return async function authenticateApiKey(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer ([^\s]+)$/i.exec(header);
    const apiKey = match?.[1] === undefined ? undefined : await findApiKey(context, match[1]);
    if (apiKey === undefined) {
      throw new LatchkeyError('unauthorized');
    }
    request.apiKeyId = apiKey.id;
  };
}
