import { mkdir } from 'node:fs/promises';

import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startTestProvider, testConnectorFiles, type TestProvider } from '../support/api-provider.ts';
import { findFreePort } from '../support/free-port.ts';
import { startTestServer, type TestServer } from '../support/latchkey-server.ts';
import { oauthConnectorFile } from '../support/oauth-connector.ts';
import { startAuthorizationServer, type RunningAuthorizationServer } from '../support/oidc-server.ts';

/** Folder of the landing, form-error and success screenshots, for a person to look at. */
const SCREENSHOT_DIR = '/tmp/latchkey-screens';

const GOOD_API_KEY = 'good-key-7f3a';
const WRONG_API_KEY = 'wrong-key-91c2';

/** Maximum wait in milliseconds for one page or element, which is ample because every server runs on loopback. */
const PAGE_TIMEOUT_MS = 10_000;

/**
 * Chromium flags for a root user in a container. With only the first seven, Chromium 156
 * still sends DNS queries for update.googleapis.com and accounts.google.com. The resolver
 * rule and the unreachable loopback proxy stop those requests before they resolve a name.
 * Loopback URLs bypass the proxy.
 *
 * NOTE: Chromium still connects a UDP socket to 2001:4860:4860::8888 to probe IPv6
 * reachability. Connecting a UDP socket sends no packet.
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
let authorizationServer: RunningAuthorizationServer;
let server: TestServer;
const openContexts: BrowserContext[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  provider = await startTestProvider({ apiKey: GOOD_API_KEY, username: 'ann@example.com', passwords: ['unused-password'] });

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
  // Each resource is closed even when another fails to close, and then the first failure is raised.
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
  token: string;
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
    token: token.body.token,
    link: token.body.link,
  };
}

function accountConnectorPath(issued: IssuedLink): string {
  return `/v1/accounts/${issued.accountId}/connectors/${issued.accountConnectorId}`;
}

async function readTokenStatus(issued: IssuedLink): Promise<string> {
  const list = await server.api('GET', `${accountConnectorPath(issued)}/setup-tokens`);
  expect(list.status).toBe(200);
  return list.body.items.find((item: { id: string }) => item.id === issued.tokenId).status;
}

/** A console message or uncaught exception, with the page that was open when it came. */
interface PageMessage {
  pageUrl: string;
  text: string;
}

/** What the browser reported while the customer used one page. */
interface PageProblems {
  consoleErrors: PageMessage[];
  /** Console messages about a blocked Content-Security-Policy directive, of any level. */
  cspViolations: PageMessage[];
  /** Requests to non-loopback hosts, which the context aborted before they left the browser. */
  outsideRequests: PageMessage[];
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
}

/**
 * Opens a page in a fresh browser context, as a customer who has never visited before.
 *
 * The context aborts every request to a non-loopback host, such as the web font that
 * oidc-provider's sign-in page imports, and records it.
 */
async function openCustomerPage(options: BrowserContextOptions = {}): Promise<{ page: Page; problems: PageProblems }> {
  if (browser === undefined) {
    throw new Error('Chromium did not start, so no page can open. See the beforeAll error above.');
  }
  const context = await browser.newContext(options);
  openContexts.push(context);
  context.setDefaultTimeout(PAGE_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
  const problems: PageProblems = { consoleErrors: [], cspViolations: [], outsideRequests: [] };

  await context.route(
    (url) => !isLoopback(url),
    async (route) => {
      problems.outsideRequests.push({ pageUrl: route.request().frame().url(), text: route.request().url() });
      await route.abort('blockedbyclient');
    },
  );

  const page = await context.newPage();
  page.on('console', (message) => {
    const entry = { pageUrl: page.url(), text: `${message.text()} (source ${message.location().url})` };
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) {
      problems.cspViolations.push(entry);
    }
    if (message.type() === 'error') {
      problems.consoleErrors.push(entry);
    }
  });
  page.on('pageerror', (error) => {
    problems.consoleErrors.push({ pageUrl: page.url(), text: `uncaught ${error.name}: ${error.message}` });
  });
  return { page, problems };
}

/**
 * Checks that Latchkey's pages logged no console error, violated no Content-Security-Policy
 * directive and requested nothing outside loopback.
 *
 * Chromium logs "Failed to load resource" for every document served with an error status,
 * so the statuses a test expects (422 for a refused form, 403 for the error page) are allowed.
 */
function expectCleanLatchkeyPages(problems: PageProblems, allowedDocumentStatuses: number[] = []): void {
  const onLatchkey = (message: PageMessage) => message.pageUrl.startsWith(`${server.url}/`);
  const allowed = allowedDocumentStatuses.map((status) => `Failed to load resource: the server responded with a status of ${status} `);
  const consoleErrors = problems.consoleErrors.filter(
    (message) => onLatchkey(message) && !allowed.some((prefix) => message.text.startsWith(prefix)),
  );

  expect(consoleErrors).toEqual([]);
  expect(problems.cspViolations).toEqual([]);
  expect(problems.outsideRequests.filter(onLatchkey)).toEqual([]);
}

/** Returns the text of the page's first-level heading. */
async function readHeading(page: Page): Promise<string> {
  return ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').trim();
}

/** Returns the URL and heading of the page the browser shows, for one assertion with both. */
async function describePage(page: Page): Promise<string> {
  return `${page.url()} ${await readHeading(page)}`;
}

/** Checks that the browser shows the session page of a connector. */
async function expectSessionPage(page: Page, connectorName = 'Test CRM'): Promise<void> {
  expect(await describePage(page)).toBe(`${server.url}/connect/session Connect ${connectorName}`);
}

/**
 * Runs a customer action and waits until the main frame has committed a new document and
 * loaded it. Unlike waiting for a URL, this also works when the new page has the old URL,
 * and when the action cancels an earlier navigation.
 */
async function waitForNextPage(page: Page, action: () => Promise<void>): Promise<void> {
  const committed = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await action();
  await committed;
  await page.waitForLoadState();
}

/** Returns the centre of an element in page coordinates, for clicks that must not wait for navigation. */
async function findCentre(page: Page, locator: Locator): Promise<{ x: number; y: number }> {
  await locator.waitFor();
  const box = await locator.boundingBox();
  if (box === null) {
    throw new Error(`${locator} is not rendered on ${page.url()}.`);
  }
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Presses Continue on the landing page or the paste form. */
async function pressContinue(page: Page): Promise<void> {
  await waitForNextPage(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
}

/** Signs in on oidc-provider's development sign-in page, which accepts any login and password. */
async function signInIfPrompted(page: Page): Promise<void> {
  await page.waitForURL(`${authorizationServer.issuer}/**`);
  const prompt = await page.locator('input[name="prompt"]').getAttribute('value');
  if (prompt !== 'login') {
    return;
  }

  await page.getByPlaceholder('Enter any login').fill('ann');
  await page.getByPlaceholder('and password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: 'attached' });
}

/** Waits until the provider has sent the browser back to Latchkey's result page. */
async function waitForOAuthResult(page: Page): Promise<void> {
  await page.waitForURL(`${server.url}/connect/oauth/result/**`);
}

/** Returns the setup session cookie that the page's browser context holds, if any. */
async function readSessionCookie(page: Page): Promise<string | undefined> {
  const cookies = await page.context().cookies(server.url);
  return cookies.find((cookie) => cookie.name === 'lk_session')?.value;
}

/** Fills the API key form and presses Save. */
async function submitApiKey(page: Page, apiKey: string): Promise<void> {
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
}

describe('customer journey in Chromium', { timeout: 60_000 }, () => {
  it('connects an API key after a rejected key', async () => {
    const issued = await issueSetupLink('test-apikey', 'Globex Manufacturing');
    const { page, problems } = await openCustomerPage();

    const landing = await page.goto(issued.link);
    expect(landing?.status()).toBe(200);
    expect(await readHeading(page)).toBe('Connect Test CRM');
    const introduction = (await page.locator('main').textContent()) ?? '';
    expect(introduction).toContain('Acme Partner');
    expect(introduction).toContain('Test CRM');
    expect(introduction).toContain('Globex Manufacturing');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/landing.png`, fullPage: true });

    await pressContinue(page);
    await expectSessionPage(page);
    expect(page.url()).not.toContain(issued.token);

    await submitApiKey(page, WRONG_API_KEY);
    const formError = page.getByRole('alert');
    await formError.waitFor();
    expect(await formError.textContent()).toContain('Test CRM refused these credentials');
    expect(await formError.textContent()).toContain('Invalid API key provided');
    const formErrorBox = await formError.boundingBox();
    const fieldBox = await page.getByLabel('API key').boundingBox();
    expect(formErrorBox!.y + formErrorBox!.height).toBeLessThanOrEqual(fieldBox!.y);
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(WRONG_API_KEY);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/form-error.png`, fullPage: true });

    await submitApiKey(page, GOOD_API_KEY);
    await page.getByRole('heading', { name: 'Test CRM is connected' }).waitFor();
    expect(await page.getByText('You can close this window.').isVisible()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/success.png`, fullPage: true });

    const connector = await server.api('GET', accountConnectorPath(issued));
    expect(connector.status).toBe(200);
    expect(connector.body).toMatchObject({ status: 'authenticated', authenticatedBy: issued.accountUserId, setupTokenId: issued.tokenId });
    expect(await readTokenStatus(issued)).toBe('completed');
    expectCleanLatchkeyPages(problems, [422]);
  });

  it('lands a double click in the session', async () => {
    const issued = await issueSetupLink('test-apikey', 'Initech');
    const { page, problems } = await openCustomerPage();

    await page.goto(issued.link);
    await waitForNextPage(page, () => page.getByRole('button', { name: 'Continue', exact: true }).dblclick());

    await expectSessionPage(page);
    expect(await readTokenStatus(issued)).toBe('redeemed');
    expectCleanLatchkeyPages(problems);
  });

  it('lands a repeated Continue in one session', async () => {
    const issued = await issueSetupLink('test-apikey', 'Initrode');
    const { page, problems } = await openCustomerPage();

    // The response to the first redemption reaches the browser's cookie store but not the
    // page, as on a slow connection. So the landing page stays on screen with the session
    // cookie already stored, and the customer presses Continue again.
    const redemptionStatuses: number[] = [];
    let firstRedemptionHeld!: () => void;
    const firstRedemptionDone = new Promise<void>((resolve) => (firstRedemptionHeld = resolve));
    let releaseFirstRedemption!: () => void;
    const secondClickDone = new Promise<void>((resolve) => (releaseFirstRedemption = resolve));
    await page.route(`${server.url}/connect`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      redemptionStatuses.push(response.status());
      if (redemptionStatuses.length === 1) {
        firstRedemptionHeld();
        await secondClickDone;
      }
      // The second navigation has cancelled the first, whose route can then no longer be fulfilled.
      await route.fulfill({ response }).catch(() => undefined);
    });

    await page.goto(issued.link);
    // Mouse clicks, because a locator click waits for the navigation it starts, which is held here.
    const continueButton = await findCentre(page, page.getByRole('button', { name: 'Continue', exact: true }));
    await page.mouse.click(continueButton.x, continueButton.y);
    await firstRedemptionDone;
    const firstSession = await readSessionCookie(page);
    expect(firstSession).toBeDefined();
    await waitForNextPage(page, async () => {
      await page.mouse.click(continueButton.x, continueButton.y);
      releaseFirstRedemption();
    });

    expect(redemptionStatuses).toEqual([303, 303]);
    await expectSessionPage(page);
    expect(await readSessionCookie(page)).toBe(firstSession);
    expect(await readTokenStatus(issued)).toBe('redeemed');
    expectCleanLatchkeyPages(problems);
  });

  it('lands two quick clicks in the session', async () => {
    // NOTE: Whether the second click cancels the first request before or after Latchkey
    // has redeemed the token depends on timing, so five links are tried. A Latchkey that
    // handles both orders passes every time.
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const issued = await issueSetupLink('test-apikey', `Initech ${attempt}`);
      const { page, problems } = await openCustomerPage();
      await page.goto(issued.link);
      const centre = await findCentre(page, page.getByRole('button', { name: 'Continue', exact: true }));

      await waitForNextPage(page, async () => {
        const firstSent = page.waitForRequest((request) => request.method() === 'POST');
        await page.mouse.click(centre.x, centre.y);
        await firstSent;
        await page.mouse.click(centre.x, centre.y);
      });

      expect(await describePage(page), `attempt ${attempt}`).toBe(`${server.url}/connect/session Connect Test CRM`);
      expectCleanLatchkeyPages(problems);
    }
  });

  it('shows 403 for revoked and used links', async () => {
    const revoked = await issueSetupLink('test-apikey', 'Umbrella Revoked');
    const used = await issueSetupLink('test-apikey', 'Umbrella Used');
    expect((await server.api('POST', `/v1/setup-tokens/${revoked.tokenId}/revoke`)).status).toBe(200);
    const { page: firstVisit } = await openCustomerPage();
    await firstVisit.goto(used.link);
    await pressContinue(firstVisit);
    await expectSessionPage(firstVisit);

    // A second customer opens each link, as when the email was forwarded.
    for (const link of [revoked.link, used.link]) {
      const { page, problems } = await openCustomerPage();
      const response = await page.goto(link);
      expect(response?.status(), link).toBe(403);
      expect(await readHeading(page)).toBe('403 – Forbidden: Access is denied.');
      expect(await page.getByText('Ask the person who sent it to you for a new link.').isVisible()).toBe(true);
      expect(await page.getByRole('button').count()).toBe(0);
      expectCleanLatchkeyPages(problems, [403]);
    }
  });

  it('connects an OAuth app', async () => {
    const issued = await issueSetupLink('test-oauth', 'Hooli');
    const { page, problems } = await openCustomerPage();

    await page.goto(issued.link);
    await pressContinue(page);
    await expectSessionPage(page, 'Test Books');
    await page.getByRole('button', { name: 'Continue to Test Books' }).click();
    await signInIfPrompted(page);
    expect(new URL(page.url()).origin).toBe(authorizationServer.issuer);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await waitForOAuthResult(page);

    expect(await readHeading(page)).toBe('Test Books is connected');
    expect(page.url()).not.toContain('code=');
    expect(page.url()).not.toContain('state=');
    const credentials = await server.api('GET', `${accountConnectorPath(issued)}/credentials`);
    expect(credentials.status).toBe(200);
    expect(credentials.body.mode).toBe('oauth2');
    expect(credentials.body.accessToken).toEqual(expect.any(String));
    expect(credentials.body.accessToken).not.toBe('');
    expectCleanLatchkeyPages(problems);
  });

  it('retries OAuth after denied access', async () => {
    const issued = await issueSetupLink('test-oauth', 'Pied Piper');
    const { page, problems } = await openCustomerPage();

    await page.goto(issued.link);
    await pressContinue(page);
    await expectSessionPage(page, 'Test Books');
    await page.getByRole('button', { name: 'Continue to Test Books' }).click();
    await signInIfPrompted(page);
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await waitForOAuthResult(page);

    expect(await readHeading(page)).toBe('Test Books was not connected');
    expect(await page.getByText('Access was not granted').isVisible()).toBe(true);
    expect((await server.api('GET', accountConnectorPath(issued))).body.status).toBe('unauthenticated');

    await page.getByRole('button', { name: 'Continue to Test Books' }).click();
    await signInIfPrompted(page);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await waitForOAuthResult(page);

    expect(await readHeading(page)).toBe('Test Books is connected');
    expect((await server.api('GET', accountConnectorPath(issued))).body.status).toBe('authenticated');
    expectCleanLatchkeyPages(problems);
  });

  it('connects an API key without JavaScript', async () => {
    const issued = await issueSetupLink('test-apikey', 'Soylent');
    const { page, problems } = await openCustomerPage({ javaScriptEnabled: false });

    await page.goto(issued.link);
    await pressContinue(page);
    await expectSessionPage(page);
    await submitApiKey(page, WRONG_API_KEY);
    await page.getByRole('alert').waitFor();
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    await submitApiKey(page, GOOD_API_KEY);
    await page.getByRole('heading', { name: 'Test CRM is connected' }).waitFor();

    expect((await server.api('GET', accountConnectorPath(issued))).body.status).toBe('authenticated');
    expectCleanLatchkeyPages(problems, [422]);
  });

  it('paste form logs no console error', async () => {
    const issued = await issueSetupLink('test-apikey', 'Vandelay Industries');
    const { page, problems } = await openCustomerPage();

    const pasteForm = await page.goto(`${server.url}/connect`);
    expect(pasteForm?.status()).toBe(200);
    await page.getByLabel('Setup token').fill(issued.token);
    await pressContinue(page);
    await expectSessionPage(page);
    await submitApiKey(page, GOOD_API_KEY);
    await page.getByRole('heading', { name: 'Test CRM is connected' }).waitFor();

    expect(problems.consoleErrors).toEqual([]);
    expect(problems.cspViolations).toEqual([]);
    expect(problems.outsideRequests).toEqual([]);
  });
});
