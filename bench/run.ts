// Prints throughput and latency figures for the hot paths of Latchkey. Every request goes
// to a server on 127.0.0.1 that this script starts and stops itself.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';

import { parseKeyring } from '../src/crypto/keyring.ts';
import { Sealer } from '../src/crypto/sealer.ts';
import { generateSetupTokenValue, isWellFormedSetupToken } from '../src/crypto/setup-token-secret.ts';
import { startTestProvider, testConnectorFiles } from '../test/support/api-provider.ts';
import { BrowserClient, hiddenValue } from '../test/support/browser-client.ts';
import { startTestServer } from '../test/support/latchkey-server.ts';

const TOKEN_COUNT = 20_000;
const SEAL_COUNT = 20_000;
const REDEMPTIONS = 200;

function rate(count: number, milliseconds: number): string {
  return `${Math.round((count / milliseconds) * 1000).toLocaleString('en-US')}/s`;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

function benchTokens(): void {
  let started = performance.now();
  const tokens = Array.from({ length: TOKEN_COUNT }, generateSetupTokenValue);
  const generateMs = performance.now() - started;
  started = performance.now();
  let valid = 0;
  for (const token of tokens) if (isWellFormedSetupToken(token)) valid += 1;
  const checkMs = performance.now() - started;
  console.log(`setup token generate: ${rate(TOKEN_COUNT, generateMs)}; checksum check: ${rate(TOKEN_COUNT, checkMs)} (${valid} valid)`);
}

function benchSealing(): void {
  const sealer = new Sealer(parseKeyring(`k1:${randomBytes(32).toString('base64')}`));
  const plaintext = JSON.stringify({ mode: 'api_key', values: { apiKey: 'x'.repeat(1024) } });
  let started = performance.now();
  const envelopes = Array.from({ length: SEAL_COUNT }, (_, index) => sealer.seal(plaintext, `row:${index}`));
  const sealMs = performance.now() - started;
  started = performance.now();
  envelopes.forEach((envelope, index) => sealer.open(envelope, `row:${index}`));
  const openMs = performance.now() - started;
  console.log(
    `seal 1 KiB credentials: ${rate(SEAL_COUNT, sealMs)}; open: ${rate(SEAL_COUNT, openMs)}; envelope ${envelopes[0]!.length} bytes for ${plaintext.length} bytes of JSON`,
  );
}

async function benchRedemption(engine: 'sqlite' | 'postgres'): Promise<void> {
  process.env.LATCHKEY_TEST_ENGINE = engine;
  const provider = await startTestProvider({ apiKey: 'k', username: 'u@example.com', passwords: ['p'] });
  const server = await startTestServer({
    connectors: testConnectorFiles(provider.url),
    redeemRateLimit: 1_000_000,
    env: { LATCHKEY_LOG_LEVEL: 'warn' },
  });
  try {
    const account = await server.api('POST', '/v1/accounts', { name: 'Bench' });
    const user = await server.api('POST', `/v1/accounts/${account.body.id}/users`, { email: 'bench@example.com' });
    const connector = await server.api('POST', `/v1/accounts/${account.body.id}/connectors`, { connectorId: 'test-apikey' });
    const path = `/v1/accounts/${account.body.id}/connectors/${connector.body.id}/setup-tokens`;

    const issueTimes: number[] = [];
    const tokens: string[] = [];
    for (let index = 0; index < REDEMPTIONS; index += 1) {
      const started = performance.now();
      const created = await server.api('POST', path, { accountUserId: user.body.id });
      issueTimes.push(performance.now() - started);
      tokens.push(created.body.token);
    }

    const redeemTimes: number[] = [];
    for (const token of tokens.slice(0, 50)) {
      const client = new BrowserClient(server.url);
      const landing = await client.get(`/connect/${token}`);
      const started = performance.now();
      const redeemed = await client.post('/connect', { token, csrf: hiddenValue(landing.text, 'csrf') });
      redeemTimes.push(performance.now() - started);
      if (redeemed.status !== 303) throw new Error(`redemption failed with ${redeemed.status}`);
    }

    // A spent token is the common refusal: the lookup runs and the 403 page is rendered.
    const refusedTimes: number[] = [];
    const browser = new BrowserClient(server.url);
    const csrf = hiddenValue((await browser.get('/connect')).text, 'csrf');
    for (const token of tokens.slice(0, 50)) {
      const started = performance.now();
      const refused = await browser.post('/connect', { token, csrf });
      refusedTimes.push(performance.now() - started);
      if (refused.status !== 403) throw new Error(`spent token returned ${refused.status}, expected 403`);
    }

    const race = await server.api('POST', path, { accountUserId: user.body.id });
    const racers = Array.from({ length: 20 }, () => new BrowserClient(server.url));
    const values = await Promise.all(racers.map(async (client) => hiddenValue((await client.get(race.body.link)).text, 'csrf')));
    const raceStarted = performance.now();
    const results = await Promise.all(
      racers.map((client, index) => client.post('/connect', { token: race.body.token, csrf: values[index]! })),
    );
    const raceMs = performance.now() - raceStarted;

    const sortedIssue = issueTimes.sort((a, b) => a - b);
    const sortedReal = redeemTimes.sort((a, b) => a - b);
    const sortedRefused = refusedTimes.sort((a, b) => a - b);
    console.log(
      `[${engine}] issue token p50 ${percentile(sortedIssue, 0.5).toFixed(1)} ms, p95 ${percentile(sortedIssue, 0.95).toFixed(1)} ms; ` +
        `redeem p50 ${percentile(sortedReal, 0.5).toFixed(1)} ms, p95 ${percentile(sortedReal, 0.95).toFixed(1)} ms; ` +
        `spent token refused p50 ${percentile(sortedRefused, 0.5).toFixed(1)} ms`,
    );
    console.log(
      `[${engine}] 20 concurrent redemptions of one token: ${results.filter((result) => result.status === 303).length} won in ${raceMs.toFixed(1)} ms; ` +
        `redeem/issue p50 ratio ${(percentile(sortedReal, 0.5) / percentile(sortedIssue, 0.5)).toFixed(2)}`,
    );
  } finally {
    await server.close();
    await provider.close();
  }
}

benchTokens();
benchSealing();
await benchRedemption('sqlite');
if (process.argv.includes('--postgres')) {
  await benchRedemption('postgres');
}
