import { generateApiKeyValue, isWellFormedApiKey } from '../crypto/api-key-secret.ts';
import { hashSecret } from '../crypto/prefixed-secret.ts';
import { createId } from '../crypto/random-id.ts';
import type { ApiKeyRow } from '../storage/schema.ts';
import type { DomainContext } from './context.ts';
import { LatchkeyError } from './errors.ts';

/** Creates a partner API key; the value is returned once and only its hash is stored. */
export async function createApiKey(context: DomainContext, name: string): Promise<{ id: string; key: string }> {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200) {
    throw new LatchkeyError('invalid_request', 'The API key name must be 1 to 200 characters.');
  }

  const key = generateApiKeyValue();
  const id = createId('key');
  await context.repositories.apiKeys.insert({
    id,
    name: trimmed,
    key_hash: hashSecret(key),
    created_at: context.clock.now().toISOString(),
    revoked_at: null,
  });
  return { id, key };
}

/** Returns the active API key with this value, or undefined; malformed values are rejected without a lookup. */
export async function findApiKey(context: DomainContext, value: string): Promise<ApiKeyRow | undefined> {
  if (!isWellFormedApiKey(value)) {
    return undefined;
  }
  return context.repositories.apiKeys.findActiveByHash(hashSecret(value));
}

/** Revokes an API key by id; returns false when no active key has this id. */
export async function revokeApiKey(context: DomainContext, id: string): Promise<boolean> {
  return context.repositories.apiKeys.revoke(id, context.clock.now().toISOString());
}

/** Lists every partner API key, revoked ones included, oldest first; values are never stored. */
export async function listApiKeys(context: DomainContext): Promise<ApiKeyRow[]> {
  return context.repositories.apiKeys.list();
}
