// The four validators of chain-specs/local.json on loopback: they peer, produce and finalize
// blocks; finality survives losing one; the lost one catches up when it returns. The network has
// no sudo key: a referendum on the root track upgrades its runtime to a build with only the
// spec version bumped (GPUX_UPGRADE_WASM, built by scripts/build-upgrade-runtime.sh) while a
// provider's gpux-worker heartbeats and a lease runs; blocks, finality, the lease, the bond and
// the balances carry on unchanged.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { blake2AsHex } from '@polkadot/util-crypto';
import { decided, propose, vote } from './lib/governance.mjs';
import { findEvent, inBlock, Node, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const CHAIN_SPEC = join(dirname(fileURLToPath(import.meta.url)), '..', 'chain-specs', 'local.json');
// Alice's well-known libp2p key and peer id, so the others can use her as their bootnode.
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const SLOT_MS = 6_000;
const UNIT = 10n ** 12n;
const MILLI = 10n ** 9n;
const UPGRADE_WASM = process.env.GPUX_UPGRADE_WASM;
const WORKER_BIN = process.env.GPUX_WORKER
  ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'gpux-target'), 'release', 'gpux-worker');

describe('a 4-validator local network', () => {
  const nodes = {};
  let api;
  let worker;
  let dir;

  before(async () => {
    nodes.alice = await Node.create('alice', ['--chain', CHAIN_SPEC, '--alice', '--node-key', ALICE_NODE_KEY]);
    const bootnode = `/ip4/127.0.0.1/tcp/${nodes.alice.p2pPort}/p2p/${ALICE_PEER_ID}`;
    for (const name of ['bob', 'charlie', 'dave']) {
      nodes[name] = await Node.create(name, ['--chain', CHAIN_SPEC, `--${name}`,
        '--bootnodes', bootnode, '--unsafe-force-node-key-generation']);
    }
    for (const node of Object.values(nodes)) node.start();
    await Promise.all(Object.values(nodes).map((node) => node.waitForRpc()));
  });

  after(async () => {
    worker?.kill('SIGKILL');
    await api?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
    for (const node of Object.values(nodes)) node.removeBasePath();
  });

  it('peers, produces and finalizes blocks', { timeout: TEST_TIMEOUT_MS }, async () => {
    await waitFor('every validator to see the other three', async () => {
      const peers = await Promise.all(Object.values(nodes).map(async (n) => (await n.rpc('system_health')).peers));
      return peers.every((p) => p >= 3);
    }, 60_000);
    await waitFor('block 3 to be finalized on every validator', async () => {
      const finalized = await Promise.all(Object.values(nodes).map((n) => n.finalizedNumber()));
      return finalized.every((f) => f >= 3);
    }, 20 * SLOT_MS);
  });

  it('keeps finalizing with one validator down, and the returning one catches up', { timeout: TEST_TIMEOUT_MS }, async () => {
    await nodes.dave.kill();
    const finalizedBefore = await nodes.alice.finalizedNumber();
    await waitFor('finality to advance 3 blocks without Dave', async () =>
      (await nodes.alice.finalizedNumber()) >= finalizedBefore + 3, 20 * SLOT_MS);
    const bobFinalized = await nodes.bob.finalizedNumber();
    assert.ok(bobFinalized >= finalizedBefore + 2, `Bob's finality stalled at ${bobFinalized}`);

    nodes.dave.start();
    await nodes.dave.waitForRpc();
    const target = await nodes.alice.finalizedNumber();
    await waitFor(`Dave to import and finalize block ${target}`, async () =>
      (await nodes.dave.finalizedNumber()) >= target, 20 * SLOT_MS);
    assert.ok((await nodes.dave.bestNumber()) >= target);
  });

  it('has no sudo key, and upgrades its runtime by a root referendum without losing state',
    { timeout: 900_000, skip: UPGRADE_WASM ? false : 'GPUX_UPGRADE_WASM not set (scripts/test.sh builds it)' }, async () => {
      const { Keyring } = await import('@polkadot/keyring');
      api = await nodes.alice.api();
      const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
      const [alice, bob, charlie, dave, eve, ferdie] = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']
        .map((name) => keyring.addFromUri(`//${name}`));
      assert.ok((await api.query.sudo.key()).isNone, 'the local network must start without sudo');
      const specBefore = api.runtimeVersion.specVersion.toNumber();

      // Charlie provides a machine run by gpux-worker (simulated GPUs); Eve rents a GPU of it.
      dir = mkdtempSync(join(tmpdir(), 'gpux-upgrade-e2e-'));
      const common = ['--node', nodes.alice.wsUrl, '--keystore', join(dir, 'machine.key'), '--simulate', '2xRTX4090'];
      const run = (args) => spawnSync(WORKER_BIN, [...common, ...args], { encoding: 'utf8', timeout: 120_000 });
      await submit(api, api.tx.marketplace.registerProvider('Charlie GPUs'), charlie);
      await submit(api, api.tx.providerStaking.bond(1_000n * UNIT), charlie);
      assert.equal(run(['init']).status, 0);
      const registered = run(['register', '--provider-suri', '//Charlie']);
      assert.equal(registered.status, 0, registered.stderr);
      const machine = Number(registered.stdout.match(/registered: machine (\d+)/)[1]);
      await submit(api, api.tx.marketplace.setListing(machine, {
        onDemandPrice: 500n * MILLI, spotFloorPrice: 200n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 10_000,
        availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
      }), charlie);
      worker = spawn(WORKER_BIN, [...common, 'run', '--machine', `${machine}`, '--workspaces', join(dir, 'leases'),
        '--public-host', 'gpu-upgrade.example.net', '--ssh-port', '2222'], { stdio: ['ignore', 'pipe', 'pipe'] });
      worker.log = '';
      worker.stdout.on('data', (d) => { worker.log += d; });
      worker.stderr.on('data', (d) => { worker.log += d; });
      const lastWindow = async () => {
        const record = await api.query.attestation.heartbeats(machine);
        return record.isSome && record.unwrap().receivedAt.isSome ? record.unwrap().lastWindow.toNumber() : -1;
      };
      await waitFor('a first heartbeat', async () => (await lastWindow()) >= 0, 30 * SLOT_MS);
      const { events: rented } = await submit(api,
        api.tx.leases.rent(machine, 1, 'OnDemand', 2_000, 500n * MILLI, { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT eve@e2e', sealKey: null }), eve);
      const lease = findEvent(api, rented, 'leases', 'Rented').data.lease.toNumber();

      // The proposal: authorize the new runtime's hash (anyone then applies the code).
      const code = readFileSync(UPGRADE_WASM);
      const index = await propose(api, api.tx.system.authorizeUpgrade(blake2AsHex(code, 256)), { system: 'Root' }, alice);
      assert.equal((await api.query.referenda.referendumInfoFor(index)).unwrap().asOngoing.track.toNumber(), 0);
      await Promise.all([alice, bob, dave, ferdie].map((voter) =>
        vote(api, index, [voter], { balance: 950_000n * UNIT, conviction: 'Locked1x' })));
      assert.equal(await decided(api, index, 60 * SLOT_MS), 'Approved');
      await waitFor('the upgrade to be authorized', async () => (await api.query.system.authorizedUpgrade()).isSome, 10 * SLOT_MS);

      // polkadot.js swaps its registry in place when it sees the new version, racing with its
      // decoding of the upgrade block's events; a client connected afterwards reads them cleanly.
      const blockHash = await inBlock(api, await api.tx.system.applyAuthorizedUpgrade(`0x${code.toString('hex')}`).signAsync(bob));
      await waitFor('the new spec version', async () =>
        (await nodes.alice.rpc('state_getRuntimeVersion')).specVersion === specBefore + 1, 10 * SLOT_MS);
      await api.disconnect();
      api = await nodes.alice.api();
      assert.equal(api.runtimeVersion.specVersion.toNumber(), specBefore + 1);
      findEvent(api, await (await api.at(blockHash)).query.system.events(), 'system', 'CodeUpdated');
      const upgradedAt = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();

      // The first block under the new runtime (it ran the migrations) against the last under the old.
      const next = await waitFor(`block ${upgradedAt + 1}`, async () => {
        const hash = await api.rpc.chain.getBlockHash(upgradedAt + 1);
        return hash.isEmpty ? null : hash;
      }, 10 * SLOT_MS);
      const [old, now] = [await api.at(blockHash), await api.at(next)];
      const state = async (at) => JSON.stringify({
        accounts: await Promise.all([charlie, eve, alice].map((who) => at.query.system.account(who.address))),
        bond: await at.query.providerStaking.bonds(charlie.address),
        lease: await at.query.leases.leases(lease),
        machine: await at.query.marketplace.machines(machine),
        // Uptime moves with heartbeat windows; the rest of the score must not.
        score: await at.query.reputation.machineScores(machine).then((s) => s.isSome &&
          { ...s.unwrap().toJSON(), uptime: null, windowsMet: null, windowsMissed: null, updatedAt: null }),
      });
      assert.equal(await state(now), await state(old));
      assert.equal((await now.query.system.lastRuntimeUpgrade()).unwrap().specVersion.toNumber(), specBefore + 1);

      // Blocks and finality carry on across the upgrade on every validator; the worker keeps
      // heartbeating; the lease still settles.
      await waitFor(`every validator to finalize block ${upgradedAt + 3}`, async () => {
        const finalized = await Promise.all(Object.values(nodes).map((n) => n.finalizedNumber()));
        return finalized.every((f) => f >= upgradedAt + 3);
      }, 30 * SLOT_MS);
      const windowAtUpgrade = Math.floor(upgradedAt / 10);
      await waitFor('a heartbeat in a window after the upgrade', async () => (await lastWindow()) > windowAtUpgrade, 40 * SLOT_MS);
      // The worker compared the new runtime's metadata with its build and found nothing changed.
      assert.match(worker.log, new RegExp(`the runtime \\(spec ${specBefore + 1}\\) matches this worker's build`));
      const settled = await submit(api, api.tx.leases.settle(lease), eve);
      assert.ok(findEvent(api, settled.events, 'leases', 'Settled').data.toProvider.toBigInt() > 0n);
    });
});
