import { formatKeyring, generateKeyringEntry, parseKeyring, writeLocalKeyring } from '../crypto/keyring.ts';
import { Sealer } from '../crypto/sealer.ts';
import { oauthAppSealContext } from '../domain/connectors.ts';
import { credentialsSealContext } from '../domain/credentials-envelope.ts';
import { verifierSealContext } from '../domain/oauth-authorization.ts';
import type { Runtime } from '../runtime.ts';

/** Numbers of values re-encrypted by `rotateKeys`. */
export interface RotationCounts {
  keyId: string;
  credentials: number;
  oauthApps: number;
  verifiers: number;
}

/**
 * Re-encrypts every sealed value under the newest key.
 *
 * In local mode a new key is generated and put first in the key file. With
 * `LATCHKEY_ENCRYPTION_KEYS`, the operator puts the new key first and keeps the old ones
 * until this command has run, so running instances can open both meanwhile. Values that
 * cannot be opened are left as they are and counted in the log.
 */
export async function rotateKeys(runtime: Runtime): Promise<RotationCounts> {
  let keyring = runtime.keyring;
  if (runtime.keyFile !== null) {
    const entries = [generateKeyringEntry(), ...keyring.entries];
    writeLocalKeyring(runtime.keyFile, entries);
    keyring = parseKeyring(formatKeyring(entries), runtime.keyFile);
    runtime.logger.info({ keyId: keyring.current.id, keyFile: runtime.keyFile }, 'added a new key to the local key file');
  }
  const sealer = new Sealer(keyring);
  const { repositories } = runtime.context;
  const counts: RotationCounts = { keyId: keyring.current.id, credentials: 0, oauthApps: 0, verifiers: 0 };
  let failures = 0;

  for (const row of await repositories.accountConnectors.listWithCredentials()) {
    const sealed = row.credentials_sealed!;
    if (!sealer.needsResealing(sealed)) continue;
    try {
      const context = credentialsSealContext(row.id);
      const resealed = sealer.seal(sealer.open(sealed, context), context);
      if (await repositories.accountConnectors.replaceCredentialsIfUnchanged(row.id, sealed, resealed, new Date().toISOString())) {
        counts.credentials += 1;
      }
    } catch (error) {
      failures += 1;
      runtime.logger.error(
        { accountConnectorId: row.id, err: { message: (error as Error).message } },
        'credentials could not be re-encrypted',
      );
    }
  }

  for (const row of await repositories.oauthApps.listAll()) {
    if (!sealer.needsResealing(row.client_secret_sealed)) continue;
    try {
      const context = oauthAppSealContext(row.connector_id);
      await repositories.oauthApps.updateSealedSecret(
        row.connector_id,
        sealer.seal(sealer.open(row.client_secret_sealed, context), context),
      );
      counts.oauthApps += 1;
    } catch (error) {
      failures += 1;
      runtime.logger.error(
        { connectorId: row.connector_id, err: { message: (error as Error).message } },
        'OAuth client secret could not be re-encrypted',
      );
    }
  }

  for (const row of await repositories.oauthAttempts.listWithVerifier()) {
    const sealed = row.code_verifier_sealed!;
    if (!sealer.needsResealing(sealed)) continue;
    try {
      const context = verifierSealContext(row.id);
      await repositories.oauthAttempts.updateSealedVerifier(row.id, sealer.seal(sealer.open(sealed, context), context));
      counts.verifiers += 1;
    } catch (error) {
      failures += 1;
      runtime.logger.error(
        { oauthAttemptId: row.id, err: { message: (error as Error).message } },
        'PKCE verifier could not be re-encrypted',
      );
    }
  }

  runtime.logger.info({ ...counts, failures }, 'key rotation finished');
  return counts;
}
