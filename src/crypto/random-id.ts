import { randomBytes } from 'node:crypto';

/** Creates a public identifier such as `acc_3kT9...`: a kind prefix and 128 random bits. */
export function createId(kind: string): string {
  return `${kind}_${randomBytes(16).toString('base64url')}`;
}

/** Creates an opaque random value of 256 bits, base64url encoded, for cookies and CSRF tokens. */
export function createOpaqueSecret(): string {
  return randomBytes(32).toString('base64url');
}
