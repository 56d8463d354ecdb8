import { generatePrefixedSecret, isWellFormedSecret } from './prefixed-secret.ts';

/** Prefix of every partner API key value. */
export const API_KEY_PREFIX = 'lkak_';

/** Generates a new partner API key value. */
export function generateApiKeyValue(): string {
  return generatePrefixedSecret(API_KEY_PREFIX);
}

/** Checks the format and checksum of a partner API key without any lookup. */
export function isWellFormedApiKey(value: string): boolean {
  return isWellFormedSecret(API_KEY_PREFIX, value);
}
