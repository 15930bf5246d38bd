// The `gpux` command line against a --dev node and a gpux-worker with the Docker backend: a
// renter lists and quotes, is stopped before signing by bad input, rents, sees the lease with
// its connection, logs in with `gpux ssh` (the attested host key checked and pinned), opens
// Jupyter with `gpux jupyter`, extends, ends and rates the lease; a refusal only the chain can
// judge comes back by name; the provider sees its machine and earnings and claims them in one
// transaction; an order and a job are refused before signing when the chain would refuse them,
// then placed. Every command with --json, as a script uses it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerWorker } from './lib/docker-worker.mjs';
import { startDevNode, stopDevNode, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const GPUX = process.env.GPUX_CLI
  ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'gpux-target'), 'release', 'gpux');

describe('gpux, the command line', () => {
  let node; let api; let keyring; let worker; let dir;
  const leases = [];
  /** Runs gpux as `who` with --json; resolves with { status, json, stderr }. */
  const gpux = (who, ...args) => {
    const run = spawnSync(GPUX, ['--node', `ws://127.0.0.1:${node.rpcPort}`, '--json', ...args], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, GPUX_SURI: `//${who}` },
    });
    let json = null;
    try { json = JSON.parse(run.stdout.trim().split('\n').at(-1)); } catch { /* not JSON */ }
    return { status: run.status, json, stderr: run.stderr, stdout: run.stdout };
  };
  const ok = (result) => {
    assert.equal(result.status, 0, `gpux failed: ${result.stderr}`);
    return result.json;
  };

  before(async () => {
    ({ node, api, keyring } = await startDevNode('gpux-cli'));
    dir = mkdtempSync(join(tmpdir(), 'gpux-cli-e2e-'));
    worker = await DockerWorker.start({ api, keyring, nodeUrl: `ws://127.0.0.1:${node.rpcPort}`, dir });
  });

  after(async () => {
    await worker?.stop(leases);
    await stopDevNode({ node, api });
    rmSync(dir, { recursive: true, force: true });
  });

  it('a renter finds, rents, reaches and ends a lease', { timeout: TEST_TIMEOUT_MS }, async () => {
    const listed = ok(gpux('Bob', 'listings', '--gpus', '1', '--access', 'jupyter'));
    assert.ok(listed.some((l) => l.machine === worker.machine), 'the Docker machine is listed');
    const quote = ok(gpux('Bob', 'quote', '--gpus', '1', '--hours', '1', '--access', 'jupyter'));
    // The dev chain's genesis machine and the Docker one ask the same: the quote names one of them.
    assert.ok(listed.some((l) => l.machine === quote.listing.machine), JSON.stringify(quote.listing));
    assert.equal(quote.total, String(500n * 10n ** 9n), '0.5 GPUX for a GPU-hour');

    const sealFile = join(dir, 'seal.secret');
    const seal = ok(gpux('Bob', 'seal-key', sealFile));
    const sshKey = worker.renterKey('Bob');
    const before = (await api.query.leases.nextLeaseId()).toNumber();
    const rent = (...extra) => gpux('Bob', 'rent', String(worker.machine), ...extra);
    // Refused before signing: nothing reaches the chain.
    const badKey = rent('--gpus', '1', '--hours', '1', '--ssh-key', 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAA==');
    assert.equal(badKey.status, 1);
    assert.match(badKey.stderr, /MalformedSshKey.*nothing was signed/);
    const tooLong = rent('--gpus', '1', '--blocks', '20000', '--ssh-key', sshKey);
    assert.match(tooLong.stderr, /DurationOutOfBounds/);
    const tooMany = rent('--gpus', '3', '--hours', '1', '--ssh-key', sshKey);
    assert.match(tooMany.stderr, /NoFreeGpus/);
    const poor = gpux('Dave', 'rent', String(worker.machine), '--gpus', '2', '--blocks', '10000', '--ssh-key', sshKey, '--spot', '--max-price', '100000');
    assert.match(poor.stderr, /EscrowExceedsBalance|PriceAboveMfp/);
    assert.equal((await api.query.leases.nextLeaseId()).toNumber(), before, 'nothing was signed');

    const rented = ok(rent('--gpus', '1', '--hours', '1', '--ssh-key', sshKey, '--seal-key', seal.sealKey));
    assert.equal(rented.lease, before);
    leases.push(rented.lease);

    const mine = await waitFor('the start attested', async () => {
      const list = ok(gpux('Bob', 'leases', '--open'));
      return list.find((l) => l.lease === rented.lease && l.endpoint) ?? null;
    }, 120_000, 1_000);
    assert.equal(mine.status, 'active');
    assert.equal(mine.endpoint.host, '127.0.0.1');
    assert.match(mine.endpoint.hostKeyFingerprint, /^SHA256:/);
    assert.equal(mine.endpoint.hostKeyFingerprint, worker.scanFingerprint(mine.endpoint.sshPort));

    // gpux ssh checks the attested host key and runs the command in the container.
    const login = spawnSync(GPUX, ['--node', `ws://127.0.0.1:${node.rpcPort}`, 'ssh', String(rented.lease),
      '-i', join(dir, 'id_Bob'), '--', 'echo lease=$GPUX_LEASE'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(login.status, 0, login.stderr);
    assert.equal(login.stdout.trim(), `lease=${rented.lease}`);

    const jupyter = ok(gpux('Bob', 'jupyter', String(rented.lease), '--seal-secret', sealFile));
    assert.match(jupyter.token, /^[0-9a-f]{48}$/);
    assert.equal((await fetch(`http://127.0.0.1:${jupyter.port}/api/contents?token=${jupyter.token}`)).status, 200);
    const otherSeal = join(dir, 'other.secret');
    ok(gpux('Bob', 'seal-key', otherSeal));
    assert.match(gpux('Bob', 'jupyter', String(rented.lease), '--seal-secret', otherSeal).stderr, /another seal key/);

    const extended = ok(gpux('Bob', 'extend', String(rented.lease), '--blocks', '100'));
    assert.equal(extended.endsAt, mine.endsAt + 100);
    // Not Charlie's lease: refused before signing.
    assert.match(gpux('Charlie', 'terminate', String(rented.lease)).stderr, /NotRenter/);
    assert.match(gpux('Bob', 'rate', String(rented.lease), '5').stderr, /LeaseNotClosed/);
  });

  it('a provider sees its machine and earnings and claims them in one transaction', { timeout: TEST_TIMEOUT_MS }, async () => {
    const status = ok(gpux('Ferdie', 'provider', 'status'));
    const machine = status.machines.find((m) => m.machine === worker.machine);
    assert.ok(machine.listed && machine.leasedGpus === 1, JSON.stringify(machine));
    const earnings = await waitFor('something due', async () => {
      const e = ok(gpux('Ferdie', 'provider', 'earnings'));
      return BigInt(e.due) > 0n ? e : null;
    }, 30_000, 1_000);
    assert.equal(earnings.leases[0].lease, leases[0]);
    const claimed = ok(gpux('Ferdie', 'provider', 'claim'));
    assert.deepEqual(claimed.settled, [leases[0]]);
    assert.ok(BigInt(claimed.paid) > 0n);
  });

  it('the renter ends and rates the lease; a chain refusal comes back by name', { timeout: TEST_TIMEOUT_MS }, async () => {
    const lease = leases[0];
    const ended = ok(gpux('Bob', 'terminate', String(lease)));
    assert.ok(BigInt(ended.refunded) > 0n, 'the unused escrow came back');
    ok(gpux('Bob', 'rate', String(lease), '4'));
    assert.match(gpux('Bob', 'rate', String(lease), '4').stderr, /AlreadyRated/);
    // Only the chain knows this one (gpux does not look jobs up before accepting).
    const foreign = gpux('Bob', 'job', 'accept', '999');
    assert.equal(foreign.status, 1);
    assert.match(foreign.stderr, /marketplace\.\w+/);
  });

  it('an order and a job are checked before signing, then placed', { timeout: TEST_TIMEOUT_MS }, async () => {
    const sshKey = worker.renterKey('Bob');
    const nonce = (await api.rpc.system.accountNextIndex(keyring.addFromUri('//Bob').address)).toNumber();
    const order = (...extra) => gpux('Bob', 'order', '--gpus', '1', '--hours', '1', '--max-price', '0.5', '--ssh-key', sshKey, ...extra);
    assert.match(order('--expires-in', '1').stderr, /ExpiryOutOfBounds.*nothing was signed/);
    assert.match(order('--expires-in', '200000').stderr, /ExpiryOutOfBounds/);
    const job = (...extra) => gpux('Bob', 'job', 'post', '--hours', '1', '--max-price', '1', '--ssh-key', sshKey, ...extra);
    const cid = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG';
    assert.match(job('--gpus', '1', '--input', 'not-a-cid').stderr, /InvalidCid/);
    assert.match(job('--gpus', '1', '--input', cid, '--bid-window', '5').stderr, /BidWindowOutOfBounds/);
    assert.match(job('--input', cid, '--gpus', '0').stderr, /ZeroGpus/);
    assert.equal((await api.rpc.system.accountNextIndex(keyring.addFromUri('//Bob').address)).toNumber(), nonce, 'nothing was signed');

    // Both machines are free again: the order fills at once.
    const placed = ok(order('--expires-in', '600'));
    assert.ok(placed.leases.length === 1, JSON.stringify(placed));
    leases.push(...placed.leases);
    ok(gpux('Bob', 'terminate', String(placed.leases[0])));
    const posted = ok(job('--gpus', '1', '--input', cid));
    assert.ok(Number.isInteger(posted.job) && posted.closesAt > 0, JSON.stringify(posted));
    const bids = ok(gpux('Bob', 'job', 'bids', String(posted.job)));
    assert.equal(bids.job, posted.job);
    assert.ok(Array.isArray(bids.bids));
  });
});
