import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { createAuthorizationRequest } from './authorization-request.ts';
import { OAuthConfigurationError } from './errors.ts';
import type { OAuthServerEndpoints } from './types.ts';

function createServerEndpoints(overrides: Partial<OAuthServerEndpoints> = {}): OAuthServerEndpoints {
  return {
    authorizationUrl: new URL('https://acme.example/oauth/authorize?tenant=blue'),
    tokenUrl: new URL('https://acme.example/oauth/token'),
    pkce: true,
    scopes: ['contacts.read', 'contacts.write'],
    scopeSeparator: ' ',
    authorizationParams: {},
    clientAuth: 'client_secret_basic',
    allowPrivateNetwork: false,
    ...overrides,
  };
}

// URL normalisation would lower-case the host and drop the default port, which the request must not do.
const REDIRECT_URI = 'http://LOCALHOST:80/connect/oauth/callback?from=latchkey&x=%2F';

describe('createAuthorizationRequest', () => {
  it('sets the protocol parameters', async () => {
    const request = await createAuthorizationRequest({
      server: createServerEndpoints(),
      client: { clientId: 'client-1' },
      redirectUri: REDIRECT_URI,
    });

    const parameters = request.url.searchParams;
    expect(request.url.origin + request.url.pathname).toBe('https://acme.example/oauth/authorize');
    expect(parameters.get('tenant')).toBe('blue');
    expect(parameters.get('response_type')).toBe('code');
    expect(parameters.get('client_id')).toBe('client-1');
    expect(parameters.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(parameters.get('scope')).toBe('contacts.read contacts.write');
    expect(parameters.get('state')).toBe(request.state);
  });

  it('sends an S256 challenge of the verifier', async () => {
    const request = await createAuthorizationRequest({
      server: createServerEndpoints(),
      client: { clientId: 'client-1' },
      redirectUri: REDIRECT_URI,
    });

    expect(request.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    const expectedChallenge = createHash('sha256').update(request.codeVerifier!).digest('base64url');
    expect(request.url.searchParams.get('code_challenge')).toBe(expectedChallenge);
    expect(request.url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('creates fresh state and verifier per call', async () => {
    const input = { server: createServerEndpoints(), client: { clientId: 'client-1' }, redirectUri: REDIRECT_URI };

    const first = await createAuthorizationRequest(input);
    const second = await createAuthorizationRequest(input);

    expect(first.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.state).not.toBe(first.state);
    expect(second.codeVerifier).not.toBe(first.codeVerifier);
  });

  it('omits PKCE when the server does not use it', async () => {
    const request = await createAuthorizationRequest({
      server: createServerEndpoints({ pkce: false }),
      client: { clientId: 'client-1' },
      redirectUri: REDIRECT_URI,
    });

    expect(request.codeVerifier).toBeNull();
    expect(request.url.searchParams.has('code_challenge')).toBe(false);
    expect(request.url.searchParams.has('code_challenge_method')).toBe(false);
  });

  it('joins scopes with the separator', async () => {
    const request = await createAuthorizationRequest({
      server: createServerEndpoints({ scopeSeparator: ',' }),
      client: { clientId: 'client-1' },
      redirectUri: REDIRECT_URI,
      scopes: ['repo', 'read:user'],
    });

    expect(request.url.searchParams.get('scope')).toBe('repo,read:user');
  });

  it('omits scope when none is requested', async () => {
    const request = await createAuthorizationRequest({
      server: createServerEndpoints({ scopes: [] }),
      client: { clientId: 'client-1' },
      redirectUri: REDIRECT_URI,
    });

    expect(request.url.searchParams.has('scope')).toBe(false);
  });

  it('adds extra authorization parameters', async () => {
    const request = await createAuthorizationRequest({
      server: createServerEndpoints({ authorizationParams: { access_type: 'offline', prompt: 'consent' } }),
      client: { clientId: 'client-1' },
      redirectUri: REDIRECT_URI,
    });

    expect(request.url.searchParams.get('access_type')).toBe('offline');
    expect(request.url.searchParams.get('prompt')).toBe('consent');
  });

  it.each(['state', 'redirect_uri', 'client_id', 'response_type', 'scope', 'code_challenge_method', 'response_mode'])(
    'rejects the extra parameter %s',
    async (name) => {
      const promise = createAuthorizationRequest({
        server: createServerEndpoints({ authorizationParams: { [name]: 'attacker-value' } }),
        client: { clientId: 'client-1' },
        redirectUri: REDIRECT_URI,
      });

      await expect(promise).rejects.toThrow(OAuthConfigurationError);
      await expect(promise).rejects.toThrow(
        `authorizationParams may not set the protocol parameter ${name}. Remove it from the connector definition.`,
      );
    },
  );
});
