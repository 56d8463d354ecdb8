import { generatePrefixedSecret, isWellFormedSecret } from './prefixed-secret.ts';

/** Prefix of every setup token value, registered with secret scanners as Latchkey's. */
export const SETUP_TOKEN_PREFIX = 'lkst_';

/** Generates a new setup token value. */
export function generateSetupTokenValue(): string {
  return generatePrefixedSecret(SETUP_TOKEN_PREFIX);
}

/** Checks the format and checksum of a setup token value without any lookup. */
export function isWellFormedSetupToken(value: string): boolean {
  return isWellFormedSecret(SETUP_TOKEN_PREFIX, value);
}
