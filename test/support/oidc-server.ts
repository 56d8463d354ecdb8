import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// @ts-expect-error oidc-provider 9 ships no type declarations; the few members used are typed below.
import ProviderModule from 'oidc-provider';

interface ProviderContext {
  path: string;
}

interface ProviderClient {
  grantTypeAllowed(grantType: string): boolean;
}

interface ProviderInstance {
  use(middleware: (context: ProviderContext, next: () => Promise<void>) => Promise<void>): void;
  callback(): RequestListener;
}

type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

const Provider = ProviderModule as ProviderConstructor;

/** Options of {@link startAuthorizationServer}. */
export interface AuthorizationServerConfig {
  /** Redirect URIs registered for the client. Defaults to one loopback callback. */
  redirectUris?: string[];
  /** Scopes the client may request besides `openid` and `offline_access`. Defaults to `contacts.read` and `contacts.write`. */
  scopes?: string[];
  /** Access token lifetime in seconds. Defaults to 3600. */
  accessTokenTtlSeconds?: number;
}

/** A running oidc-provider instance on loopback with one confidential client. */
export interface RunningAuthorizationServer {
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Number of requests that reached the token endpoint so far. */
  tokenRequests: () => number;
  close(): Promise<void>;
}

/** Redirect URI registered when the caller names none. */
export const DEFAULT_TEST_REDIRECT_URI = 'http://127.0.0.1:3999/connect/oauth/callback';

async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/**
 * Starts oidc-provider on 127.0.0.1 with a random port, as a real authorization server for tests.
 *
 * The one client is confidential, and oidc-provider 9 accepts both client_secret_basic and
 * client_secret_post from any client that has a secret. PKCE with S256 is required, every
 * authorization code grant gets a refresh token, refresh tokens rotate on every use, and the
 * client credentials grant is enabled. Sign-in uses oidc-provider's development interactions,
 * which accept any login and password (see {@link completeAuthorization}).
 */
export async function startAuthorizationServer(config: AuthorizationServerConfig = {}): Promise<RunningAuthorizationServer> {
  const redirectUris = config.redirectUris ?? [DEFAULT_TEST_REDIRECT_URI];
  const scopes = config.scopes ?? ['contacts.read', 'contacts.write'];
  const accessTokenTtlSeconds = config.accessTokenTtlSeconds ?? 3600;
  const clientId = 'latchkey-test-client';
  const clientSecret = randomBytes(24).toString('base64url');

  let handler: RequestListener = (_request, response) => {
    response.statusCode = 503;
    response.end();
  };
  const server = createServer((request, response) => handler(request, response));
  const port = await listenOnLoopback(server);
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: ['openid', 'offline_access', ...scopes].join(' '),
      },
    ],
    scopes: ['openid', 'offline_access', ...scopes],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
    },
    // The default issues refresh tokens only with the offline_access scope. Connectors rarely
    // request it, so here every grant that allows refresh gets one.
    issueRefreshToken: async (_context: unknown, client: ProviderClient) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Explicit lifetimes and account lookup keep oidc-provider from logging a notice for each default.
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      ClientCredentials: accessTokenTtlSeconds,
      RefreshToken: 86_400,
      Interaction: 600,
      Session: 3600,
      Grant: 86_400,
    },
    findAccount: async (_context: unknown, accountId: string) => ({ accountId, claims: async () => ({ sub: accountId }) }),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });

  let tokenRequestCount = 0;
  provider.use(async (context, next) => {
    if (context.path === '/token') {
      tokenRequestCount += 1;
    }
    await next();
  });
  handler = provider.callback();

  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    clientId,
    clientSecret,
    redirectUris,
    tokenRequests: () => tokenRequestCount,
    close: () => closeServer(server),
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function assertLoopback(url: URL): void {
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`completeAuthorization only contacts loopback addresses, not ${url.host}.`);
  }
}

/** Minimal cookie store for one origin. It ignores Path, because one sign-in uses distinct cookie names. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', attributeValue = ''] = attribute.split('=').map((part) => part.trim());
        if (key.toLowerCase() === 'max-age') {
          return Number(attributeValue) <= 0;
        }
        if (key.toLowerCase() === 'expires') {
          return Date.parse(attributeValue) <= Date.now();
        }
        return false;
      });

      if (expired) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function decodeHtmlAttribute(value: string): string {
  return value.replaceAll('&amp;', '&').replaceAll('&#x2F;', '/').replaceAll('&#x3D;', '=').replaceAll('&quot;', '"');
}

/** Options of {@link completeAuthorization}. */
export interface CompleteAuthorizationConfig {
  /** Cancels at the sign-in page, so that the provider returns `error=access_denied`. */
  deny?: boolean;
  /** Account id to sign in as. Defaults to `test-user`. */
  login?: string;
}

/**
 * Acts as the user's browser: opens an authorization URL of {@link startAuthorizationServer},
 * signs in, consents (or cancels with `deny`), and returns the URL that the provider finally
 * redirects to, on the client's redirect_uri. Only loopback addresses are contacted; the
 * redirect_uri itself is returned, not opened.
 */
export async function completeAuthorization(authorizationUrl: string, config: CompleteAuthorizationConfig = {}): Promise<URL> {
  const jar = new CookieJar();
  const start = new URL(authorizationUrl);
  assertLoopback(start);
  const redirectUri = start.searchParams.get('redirect_uri');
  if (redirectUri === null) {
    throw new Error('The authorization URL has no redirect_uri parameter.');
  }
  const redirectTarget = new URL(redirectUri);

  const send = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    assertLoopback(url);
    const headers = new Headers(init.headers);
    const cookie = jar.header();
    if (cookie !== '') {
      headers.set('cookie', cookie);
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(response);
    return response;
  };

  let currentUrl = start;
  let response = await send(currentUrl);

  for (let step = 0; step < 20; step += 1) {
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', currentUrl);
      if (location.origin === redirectTarget.origin && location.pathname === redirectTarget.pathname) {
        return location;
      }
      currentUrl = location;
      response = await send(currentUrl);
      continue;
    }

    const html = await response.text();
    if (response.status !== 200) {
      throw new Error(`The authorization server responded with HTTP ${response.status} at ${currentUrl.pathname}: ${html.slice(0, 500)}`);
    }

    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (action === undefined || prompt === undefined) {
      throw new Error(`No interaction form found at ${currentUrl.pathname}.`);
    }

    if (config.deny === true) {
      const abortPath = /href="([^"]*\/abort)"/.exec(html)?.[1];
      if (abortPath === undefined) {
        throw new Error(`No cancel link found at ${currentUrl.pathname}.`);
      }
      currentUrl = new URL(decodeHtmlAttribute(abortPath), currentUrl);
      response = await send(currentUrl);
      continue;
    }

    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', config.login ?? 'test-user');
      form.set('password', 'any-password');
    }
    currentUrl = new URL(decodeHtmlAttribute(action), currentUrl);
    response = await send(currentUrl, { method: 'POST', body: form });
  }

  throw new Error('The authorization flow did not reach the redirect_uri within 20 steps.');
}

/** A request received by {@link startQuirkyTokenServer}. */
export interface ReceivedTokenRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received. */
  rawBody: string;
  body: URLSearchParams;
}

/** Response of a {@link startQuirkyTokenServer} handler. */
export interface QuirkyTokenResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** A running quirky token server. */
export interface RunningQuirkyTokenServer {
  tokenUrl: string;
  requests: ReceivedTokenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a plain node:http server on 127.0.0.1 that responds to every request with `respond`, to
 * reproduce token responses that real providers send but RFC 6749 does not allow.
 * `Content-Type` defaults to application/json.
 */
export async function startQuirkyTokenServer(
  respond: (body: URLSearchParams, request: ReceivedTokenRequest) => QuirkyTokenResponse,
): Promise<RunningQuirkyTokenServer> {
  const requests: ReceivedTokenRequest[] = [];

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const received: ReceivedTokenRequest = {
        method: request.method ?? '',
        headers: request.headers,
        rawBody,
        body: new URLSearchParams(rawBody),
      };
      requests.push(received);

      const reply = respond(received.body, received);
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body);
    });
  });
  const port = await listenOnLoopback(server);

  return {
    tokenUrl: `http://127.0.0.1:${port}/token`,
    requests,
    close: () => closeServer(server),
  };
}
