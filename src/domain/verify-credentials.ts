import type { ConnectorDefinition } from '../catalog/connector-definition.ts';
import { buildAuthenticatedRequest } from '../catalog/inject-credentials.ts';
import { getSharedGuardedFetch } from '../outbound/guarded-fetch.ts';

/** Outcome of a verification request; the message is shown to the customer and names no secret. */
export type VerificationResult =
  { ok: true } | { ok: false; reason: 'provider_refused' | 'provider_unreachable' | 'invalid_input'; message: string };

/** Length of the provider's message quoted on the form. */
const MAX_PROVIDER_MESSAGE_LENGTH = 200;

/**
 * Sends the definition's verification request with the entered credentials.
 *
 * Definitions without a `verify` section pass unchecked. The provider's own error text is
 * quoted only when it contains none of the entered values, so a provider that echoes the
 * key back cannot make the page show it.
 */
export async function verifyCredentials(definition: ConnectorDefinition, values: Record<string, string>): Promise<VerificationResult> {
  const verify = definition.verify;
  if (verify === undefined) {
    return { ok: true };
  }

  let request: { url: URL; headers: Record<string, string> };
  try {
    request = buildAuthenticatedRequest(definition, values, { method: verify.method, path: verify.path });
  } catch (error) {
    return { ok: false, reason: 'invalid_input', message: (error as Error).message };
  }

  const guardedFetch = getSharedGuardedFetch(definition.allowPrivateNetwork);
  let response: Response;
  try {
    response = await guardedFetch(request.url, { method: verify.method, headers: request.headers, redirect: 'manual' });
  } catch (error) {
    return {
      ok: false,
      reason: 'provider_unreachable',
      message: `${definition.name} could not be reached to check these credentials (${(error as { code?: string }).code ?? 'network error'}). Try again in a moment.`,
    };
  }
  if (response.status === verify.expectStatus) {
    await response.body?.cancel();
    return { ok: true };
  }

  const providerMessage = await readProviderMessage(response, Object.values(values));
  return {
    ok: false,
    reason: 'provider_refused',
    message:
      `${definition.name} refused these credentials (HTTP ${response.status}${providerMessage ? `: ${providerMessage}` : ''}). ` +
      'Check them and try again.',
  };
}

async function readProviderMessage(response: Response, secrets: string[]): Promise<string | null> {
  let text: string;
  try {
    text = (await response.text()).slice(0, 10_000);
  } catch {
    return null;
  }
  let message: unknown;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const nested = body.error as Record<string, unknown> | string | undefined;
    message = body.message ?? body.error_description ?? (typeof nested === 'object' ? nested?.message : nested) ?? body.detail;
  } catch {
    return null;
  }
  if (typeof message !== 'string' || message.trim() === '') {
    return null;
  }
  const trimmed = message.trim().slice(0, MAX_PROVIDER_MESSAGE_LENGTH);
  return secrets.some((secret) => secret.length >= 4 && trimmed.includes(secret)) ? null : trimmed;
}
