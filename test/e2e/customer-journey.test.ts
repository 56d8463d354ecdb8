import { mkdir } from 'node:fs/promises';

import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startTestProvider, testConnectorFiles, type TestProvider } from '../support/api-provider.ts';
import { findFreePort } from '../support/free-port.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';
import { oauthConnectorFile } from '../support/oauth-connector.ts';
import { startAuthorizationServer, type RunningAuthorizationServer } from '../support/oidc-server.ts';

/** Where the landing, form-error and success screenshots go, for a person to look at. */
const SCREENSHOT_DIR = '/tmp/latchkey-screens';

const GOOD_API_KEY = 'good-key-7f3a';
const WRONG_API_KEY = 'wrong-key-91c2';

/**
 * Chromium flags for a root user in a container. The resolver rule and the unreachable
 * loopback proxy keep Chromium's own background requests (component updates, account
 * checks) from resolving or reaching any outside host; loopback URLs bypass the proxy.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
  '--proxy-server=http://127.0.0.1:9',
];

let browser: Browser | undefined;
let provider: TestProvider | undefined;
let authorizationServer: RunningAuthorizationServer | undefined;
let server: TestServer;
const openContexts: BrowserContext[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  provider = await startTestProvider({ apiKey: GOOD_API_KEY, username: 'ann@example.com', passwords: ['unused'] });

  // The authorization server registers the callback URL, so Latchkey's port is chosen first.
  const port = await findFreePort();
  authorizationServer = await startAuthorizationServer({ redirectUris: [`http://127.0.0.1:${port}/connect/oauth/callback`] });
  server = await startTestServer({
    port,
    connectors: { ...testConnectorFiles(provider.url), ...oauthConnectorFile(authorizationServer.issuer) },
    redeemRateLimit: 1000,
  });
  const oauthApp = await server.api('PUT', '/v1/connectors/test-oauth/oauth-app', {
    clientId: authorizationServer.clientId,
    clientSecret: authorizationServer.clientSecret,
  });
  expect(oauthApp.status).toBe(200);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterEach(async () => {
  const contexts = openContexts.splice(0);
  await Promise.all(contexts.map((context) => context.close()));
});

afterAll(async () => {
  // Every resource is closed even when another fails to close, and the first failure is reported.
  const results = await Promise.allSettled([browser?.close(), server?.close(), authorizationServer?.close(), provider?.close()]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    throw failure.reason;
  }
});

/** A setup link issued over the partner API, with the ids needed to check the outcome. */
interface IssuedLink {
  accountId: string;
  accountUserId: string;
  accountConnectorId: string;
  tokenId: string;
  link: string;
}

/** Creates an account, an account user and an account connector, and issues a setup token for them. */
async function issueSetupLink(connectorId: 'test-apikey' | 'test-oauth', accountName: string): Promise<IssuedLink> {
  const account = await server.api('POST', '/v1/accounts', { name: accountName });
  expect(account.status).toBe(201);
  const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: `ann+${account.body.id}@example.com` });
  expect(user.status).toBe(201);
  const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId });
  expect(connector.status).toBe(201);
  const token = await server.api('POST', `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`, {
    accountUserId: user.body.id,
  });
  expect(token.status).toBe(201);
  return {
    accountId: account.body.id,
    accountUserId: user.body.id,
    accountConnectorId: connector.body.id,
    tokenId: token.body.id,
    link: token.body.link,
  };
}

async function readAccountConnector(issued: IssuedLink): Promise<{ status: number; body: any }> {
  return server.api('GET', `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}`);
}

/** Problems that a page reported while the customer used it. */
interface PageProblems {
  /** Console errors and uncaught exceptions, each with the URL of the page that showed it. */
  consoleErrors: string[];
  /** Console messages about a blocked Content-Security-Policy directive, on any page. */
  cspViolations: string[];
  /** Requests to non-loopback hosts, which the guard aborted, each with the page that sent it. */
  outsideRequests: string[];
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
}

/**
 * Opens a page in a fresh browser context, as a customer who has never visited before.
 *
 * Any request to a non-loopback host is aborted before it leaves the browser; the
 * oidc-provider sign-in page imports a web font, for example.
 */
async function openCustomerPage(options: BrowserContextOptions = {}): Promise<{ page: Page; problems: PageProblems }> {
  if (browser === undefined) {
    throw new Error('Chromium did not start; see the beforeAll error.');
  }
  const context = await browser.newContext(options);
  openContexts.push(context);
  const problems: PageProblems = { consoleErrors: [], cspViolations: [], outsideRequests: [] };

  await context.route(
    (url) => !isLoopback(url),
    async (route) => {
      problems.outsideRequests.push(`${route.request().url()} from ${route.request().frame().url()}`);
      await route.abort('blockedbyclient');
    },
  );

  const page = await context.newPage();
  page.on('console', (message) => {
    const text = `${message.type()}: ${message.text()} (page ${page.url()}, source ${message.location().url})`;
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) {
      problems.cspViolations.push(text);
    }
    if (message.type() === 'error') {
      problems.consoleErrors.push(text);
    }
  });
  page.on('pageerror', (error) => {
    problems.consoleErrors.push(`uncaught: ${error.message} (page ${page.url()})`);
  });
  return { page, problems };
}

/** Keeps only the problems reported while a Latchkey page was open. */
function onLatchkeyPages(messages: string[]): string[] {
  return messages.filter((message) => message.includes(`(page ${server.url}/`));
}

/** Presses Continue on the landing page and waits for the session page. */
async function continueFromLanding(page: Page): Promise<void> {
  page.on('request', async (r) => console.log('REQ', r.method(), r.url(), JSON.stringify(await r.allHeaders())));
  page.on('response', (r) => console.log('RES', r.status(), r.url()));
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.waitForTimeout(1000);
  console.log(page.url(), await page.content());
  await page.waitForURL(`${server.url}/connect/session`);
}

/**
 * Signs in to oidc-provider's development pages and approves the consent page.
 *
 * The sign-in page appears only when the browser has no provider session yet, so each
 * page is recognised by the `prompt` value its form carries.
 */
async function signInAndConsent(page: Page): Promise<void> {
  await page.waitForURL(`${authorizationServer!.issuer}/**`);
  if ((await page.locator('input[name="prompt"]').getAttribute('value')) === 'login') {
    await page.getByPlaceholder('Enter any login').fill('ann');
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: 'attached' });
  }
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

describe('customer journey in Chromium', { timeout: 60_000 }, () => {
  it('connects an API key after one refused attempt', async () => {
    const issued = await issueSetupLink('test-apikey', 'Globex Manufacturing');
    const { page, problems } = await openCustomerPage();

    const landing = await page.goto(issued.link);
    expect(landing?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Connect Test CRM');
    const intro = (await page.locator('main').textContent()) ?? '';
    expect(intro).toContain('Acme Partner');
    expect(intro).toContain('Test CRM');
    expect(intro).toContain('Globex Manufacturing');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/landing.png`, fullPage: true });

    await continueFromLanding(page);
    const token = issued.link.slice(issued.link.lastIndexOf('/') + 1);
    expect(page.url()).not.toContain(token);

    await page.getByLabel('API key').fill(WRONG_API_KEY);
    await page.getByRole('button', { name: 'Save' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe('Test CRM refused these credentials (HTTP 401: Invalid API key provided). Check them and try again.');
    const refusalBox = await refusal.boundingBox();
    const formBox = await page.locator('form').boundingBox();
    expect(refusalBox!.y + refusalBox!.height).toBeLessThanOrEqual(formBox!.y);
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(WRONG_API_KEY);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/form-error.png`, fullPage: true });

    await page.getByLabel('API key').fill(GOOD_API_KEY);
    await page.getByRole('button', { name: 'Save' }).click();
    const success = page.getByRole('heading', { name: 'Test CRM is connected' });
    await success.waitFor();
    expect(await page.getByText('You can close this window.').isVisible()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/success.png`, fullPage: true });

    const connector = await readAccountConnector(issued);
    expect(connector.status).toBe(200);
    expect(connector.body).toMatchObject({ status: 'authenticated', authenticatedBy: issued.accountUserId, setupTokenId: issued.tokenId });
    console.log(problems);
  });
});
