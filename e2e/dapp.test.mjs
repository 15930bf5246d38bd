// The dApp in headless Chromium (Debian's package, driven by playwright-core) against a --dev
// node and a gpux-worker with the Docker backend: a renter finds a GPU, is stopped before
// signing by a bad SSH key and a duration the listing does not take, rents, and sees its lease
// with the attested host key and a Jupyter link whose token the page opened with its seal key;
// a rent only the chain can refuse (no free GPU) is explained by name; the provider sees its
// machine and claims its earnings in one transaction; a token holder votes on a referendum, and
// is stopped before signing a vote it cannot back. Each page is
// screenshotted into $GPUX_SCREENSHOTS (default: a temporary directory, printed).
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { propose } from './lib/governance.mjs';
import { DockerWorker } from './lib/docker-worker.mjs';
import { freePort, startDevNode, stopDevNode, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dapp', 'dist');
const CHROMIUM = process.env.GPUX_CHROMIUM ?? '/usr/bin/chromium';
const UNIT = 10n ** 12n;

/** Serves dapp/dist on loopback, as `scripts/dapp.sh` does. */
function serve (port) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = normalize(join(DIST, new URL(req.url, 'http://x').pathname));
    const file = path.startsWith(DIST) && existsSync(path) && statSync(path).isFile() ? path : join(DIST, 'index.html');
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('the dApp in a browser', () => {
  let node; let api; let keyring; let worker; let server; let browser; let page; let shots; let dir;
  let base;
  const leases = [];
  const pageErrors = [];
  /** The account's next nonce: unchanged means nothing was signed and sent. */
  const nonceOf = async (who) => (await api.rpc.system.accountNextIndex(keyring.addFromUri(`//${who}`).address)).toNumber();
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const open = async (who, tab) => {
    await page.goto(`${base}&account=${keyring.addFromUri(`//${who}`).address}&tab=${tab}`);
    await page.getByTestId('chain').waitFor({ timeout: 60_000 });
  };
  const statusOf = (testId) => page.getByTestId(`${testId}-status`);
  const waitStatus = async (testId, pattern) => {
    try {
      await waitFor(`${testId}'s status to match ${pattern}`, async () => pattern.test(await statusOf(testId).textContent({ timeout: 1_000 }).catch(() => '')), 60_000, 250);
    } catch (e) {
      await shot(`failed-${testId}`);
      throw new Error(`${e.message}; it shows "${await statusOf(testId).textContent({ timeout: 1_000 }).catch(() => 'nothing')}"`);
    }
    return statusOf(testId).textContent();
  };

  before(async () => {
    assert.ok(existsSync(join(DIST, 'index.html')), 'dapp/dist is built first: (cd dapp && npm run build)');
    ({ node, api, keyring } = await startDevNode('dapp'));
    dir = mkdtempSync(join(tmpdir(), 'gpux-dapp-e2e-'));
    shots = process.env.GPUX_SCREENSHOTS ?? join(dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    worker = await DockerWorker.start({ api, keyring, nodeUrl: `ws://127.0.0.1:${node.rpcPort}`, dir });
    const port = await freePort();
    server = await serve(port);
    base = `http://127.0.0.1:${port}/?node=ws://127.0.0.1:${node.rpcPort}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (process.env.GPUX_PAGE_LOG) console.error('page:', m.text()); });
  });

  after(async () => {
    console.log(`screenshots: ${shots}`);
    await browser?.close();
    server?.close();
    await worker?.stop(leases);
    await stopDevNode({ node, api });
    if (!process.env.GPUX_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(pageErrors, [], 'the page threw no error');
  });

  it('a renter finds a GPU, is stopped before signing by bad input, rents it and sees how to connect', { timeout: TEST_TIMEOUT_MS }, async () => {
    await open('Bob', 'browse');
    await page.getByTestId(`listing-${worker.machine}`).waitFor();
    await shot('browse');
    await page.getByTestId(`choose-${worker.machine}`).click();
    const form = page.getByTestId('rent-form');
    const before = (await api.query.leases.nextLeaseId()).toNumber();
    const nonce = await nonceOf('Bob');

    await form.locator('textarea[name=sshKey]').fill('ssh-ed25519 not-a-key');
    await page.getByTestId('rent').click();
    assert.match(await waitStatus('rent', /Refused/), /SSH key refused/);
    await form.locator('textarea[name=sshKey]').fill(worker.renterKey('Bob'));
    await form.locator('input[name=hours]').fill('100');
    await page.getByTestId('rent').click();
    assert.match(await waitStatus('rent', /Refused: the listing takes leases of 10 to 10000 blocks/), /\(DurationOutOfBounds\)/);
    assert.equal(await nonceOf('Bob'), nonce, 'nothing was signed');

    await form.locator('input[name=hours]').fill('1');
    await form.locator('input[name=useSeal]').check();
    assert.match(await page.getByTestId('rent-estimate').textContent(), /held now: 0\.5 GPUX;/);
    await page.getByTestId('rent').click();
    await waitStatus('rent', /In a block|Finalized/);
    assert.match(await page.getByTestId('rented').textContent(), new RegExp(`Lease #${before}`));
    const lease = before;
    leases.push(lease);

    await page.getByTestId('tab-leases').click();
    const card = page.getByTestId(`lease-${lease}`);
    await card.getByTestId('ssh-command').waitFor({ timeout: 120_000 });
    const endpoint = (await api.query.attestation.leaseAttestations(lease)).unwrap().started.unwrap()[0];
    assert.equal(await card.getByTestId('ssh-command').textContent(), `ssh -p ${endpoint.port} root@127.0.0.1`);
    const fingerprint = `SHA256:${Buffer.from(endpoint.hostKeyFingerprint.unwrap()).toString('base64').replace(/=+$/, '')}`;
    assert.equal(await card.getByTestId('host-key').textContent(), fingerprint);
    assert.equal(worker.scanFingerprint(endpoint.port.toNumber()), fingerprint, 'the page shows the key the container presents');
    // The token in the link was sealed to this browser's key; Jupyter takes it.
    const link = await card.getByTestId('jupyter-link').getAttribute('href');
    const token = new URL(link).searchParams.get('token');
    assert.match(token, /^[0-9a-f]{48}$/);
    const jupyter = await fetch(`http://127.0.0.1:${endpoint.jupyter.unwrap().port}/api/contents?token=${token}`);
    assert.equal(jupyter.status, 200, 'Jupyter accepts the token the page opened');
    assert.match(await card.getByTestId('lease-state').textContent(), /Active/);
    await shot('my-leases');

    // Only the chain knows this one: Bob's on-demand lease holds one of the two GPUs.
    await open('Charlie', 'browse');
    await page.getByTestId(`choose-${worker.machine}`).click();
    await page.getByTestId('rent-form').locator('textarea[name=sshKey]').fill(worker.renterKey('Charlie'));
    await page.getByTestId('rent-form').locator('input[name=gpus]').fill('2');
    await page.getByTestId('rent').click();
    assert.match(await waitStatus('rent', /Refused/), /leases\.NoFreeGpus: /);
  });

  it('a provider sees its machine and claims its earnings in one transaction', { timeout: TEST_TIMEOUT_MS }, async () => {
    await open('Ferdie', 'provider');
    const machine = page.getByTestId(`machine-${worker.machine}`);
    await machine.getByTestId('reputation').waitFor();
    await waitFor('a heartbeat shown', async () => !/never/.test(await machine.getByTestId('last-heartbeat').textContent()), 60_000);
    await waitFor('earnings due', async () => !/^0 GPUX/.test(await page.getByTestId('earnings-due').textContent()), 60_000);
    await machine.getByTestId(`util-${worker.machine}`).locator('circle').first().waitFor({ timeout: 60_000 });
    await shot('provider');
    const free = async () => (await api.query.system.account(keyring.addFromUri('//Ferdie').address)).data.free.toBigInt();
    const before = await free();
    const settled = new Promise((resolve) => {
      api.query.system.events((records) => {
        const found = records.filter(({ event }) => api.events.leases.Settled.is(event));
        if (found.length) resolve({ found, failed: records.filter(({ event }) => api.events.utility.ItemFailed.is(event)) });
      });
    });
    await page.getByTestId('claim-all').click();
    const status = await waitStatus('claim-all', /In a block|Finalized|Refused/);
    assert.doesNotMatch(status, /Refused|failed/);
    const { found, failed } = await settled;
    assert.deepEqual(found.map(({ event }) => event.data.lease.toNumber()), leases, 'the lease was settled');
    assert.equal(failed.length, 0, 'no settlement of the batch failed');
    assert.ok(await free() > before, 'the provider was paid');
  });

  it('a token holder votes on a referendum; a vote the account cannot back is refused before signing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const remark = api.tx.system.remark('0x01');
    const index = await propose(api, remark, { system: 'Root' }, keyring.addFromUri('//Alice'), { decide: false });
    await open('Charlie', 'governance');
    const card = page.getByTestId(`referendum-${index}`);
    await card.waitFor({ timeout: 30_000 });
    const nonce = await nonceOf('Charlie');
    await card.locator('input[name=balance]').fill('2000000');
    await page.getByTestId(`aye-${index}`).click();
    assert.match(await waitStatus(`aye-${index}`, /Refused/), /holds less than that \(InsufficientFunds\)/);
    assert.equal(await nonceOf('Charlie'), nonce, 'nothing was signed');
    await card.locator('input[name=balance]').fill('1000');
    await page.getByTestId(`aye-${index}`).click();
    await waitStatus(`aye-${index}`, /In a block|Finalized/);
    const info = (await api.query.referenda.referendumInfoFor(index)).unwrap().asOngoing;
    assert.ok(info.tally.ayes.toBigInt() >= 1000n * UNIT, 'the aye counted');
    await waitFor('the tally shown', async () => /Aye 1,000 GPUX/.test(await card.getByTestId('tally').textContent()), 30_000);
    await shot('governance');
  });
});
