import { createServer, type IncomingMessage, type Server } from 'node:http';

/** A third-party API on loopback that accepts one API key and one username/password pair. */
export interface TestProvider {
  url: string;
  /** Authorization headers received, in order. */
  received: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * Starts a small real HTTP API on 127.0.0.1 for verification requests.
 *
 * `GET /v1/me` returns 200 for `Bearer {apiKey}` and 401 with a JSON message otherwise;
 * `GET /{workspace}/api/myself` checks Basic credentials the same way.
 */
export async function startTestProvider(accepted: { apiKey: string; username: string; passwords: string[] }): Promise<TestProvider> {
  const received: TestProvider['received'] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const authorization = request.headers.authorization;
    const path = request.url ?? '';
    received.push({ path, authorization });
    let ok = false;
    if (path === '/v1/me') {
      ok = authorization === `Bearer ${accepted.apiKey}`;
    } else if (/^\/[a-z0-9-]+\/api\/myself$/.test(path)) {
      ok = accepted.passwords.some(
        (password) => authorization === `Basic ${Buffer.from(`${accepted.username}:${password}`).toString('base64')}`,
      );
    }
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    response.end(JSON.stringify(ok ? { id: 'me' } : { message: 'Invalid API key provided' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Connector definitions that point at a test provider; they allow private networks because it runs on loopback. */
export function testConnectorFiles(providerUrl: string): Record<string, string> {
  return {
    'test-apikey.yaml': `id: test-apikey
name: Test CRM
docsUrl: https://docs.example.com/test-crm
auth:
  mode: api_key
fields:
  - name: apiKey
    label: API key
    help: Found under Settings, API.
    secret: true
api:
  baseUrl: ${providerUrl}/v1
  inject: { header: Authorization, value: "Bearer {apiKey}" }
verify: { method: GET, path: /me, expectStatus: 200 }
allowPrivateNetwork: true
`,
    'test-basic.yaml': `id: test-basic
name: Test Desk
auth:
  mode: basic
fields:
  - name: workspace
    label: Workspace
    help: The part after the host in your browser's address bar.
    pattern: "^[a-z0-9][a-z0-9-]{0,30}$"
  - name: username
    label: Email address
  - name: password
    label: API token
    secret: true
api:
  baseUrl: ${providerUrl}/{workspace}/api
  inject: { basic: { username: "{username}", password: "{password}" } }
verify: { method: GET, path: /myself, expectStatus: 200 }
allowPrivateNetwork: true
`,
  };
}
