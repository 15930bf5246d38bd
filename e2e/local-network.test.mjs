// The four validators of chain-specs/local.json on loopback: they peer, produce and finalize
// blocks (validators lost and regained: faults.test.mjs). The network has no sudo key: a
// referendum on the root track upgrades its runtime to a build with only the spec version
// bumped (GPUX_UPGRADE_WASM, built by scripts/build-upgrade-runtime.sh) while a provider's
// gpux-worker heartbeats and a lease runs; blocks, finality, the lease, the bond and the
// balances carry on unchanged.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blake2AsHex } from '@polkadot/util-crypto';
import { decided, propose, vote } from './lib/governance.mjs';
import {
  lastHeartbeatWindow, MILLI, SLOT_MS, SSH_KEY, startLocalNetwork, stopLocalNetwork, UNIT, waitForFinalized, waitForPeers, Worker,
} from './lib/network.mjs';
import { findEvent, inBlock, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const UPGRADE_WASM = process.env.GPUX_UPGRADE_WASM;

describe('a 4-validator local network', () => {
  let nodes = {};
  let api;
  let worker;
  let dir;

  before(async () => { nodes = await startLocalNetwork(); });

  after(async () => {
    await worker?.kill();
    await api?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stopLocalNetwork(nodes);
  });

  it('peers, produces and finalizes blocks', { timeout: TEST_TIMEOUT_MS }, async () => {
    await waitForPeers(nodes);
    await waitForFinalized(nodes, 3, 20 * SLOT_MS);
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
      await submit(api, api.tx.marketplace.registerProvider('Charlie GPUs'), charlie);
      await submit(api, api.tx.providerStaking.bond(1_000n * UNIT), charlie);
      worker = new Worker({ nodeUrl: nodes.alice.wsUrl, keystore: join(dir, 'machine.key'), workspaces: join(dir, 'leases') });
      const machine = await worker.provide(api, charlie, '//Charlie');
      worker.start();
      const lastWindow = () => lastHeartbeatWindow(api, machine);
      await waitFor('a first heartbeat', async () => (await lastWindow()) >= 0, 30 * SLOT_MS);
      const { events: rented } = await submit(api,
        api.tx.leases.rent(machine, 1, 'OnDemand', 2_000, 500n * MILLI, { sshPublicKey: SSH_KEY, sealKey: null }), eve);
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
      await waitForFinalized(nodes, upgradedAt + 3, 30 * SLOT_MS);
      const windowAtUpgrade = Math.floor(upgradedAt / 10);
      await waitFor('a heartbeat in a window after the upgrade', async () => (await lastWindow()) > windowAtUpgrade, 40 * SLOT_MS);
      // The worker compared the new runtime's metadata with its build and found nothing changed.
      assert.match(worker.log, new RegExp(`the runtime \\(spec ${specBefore + 1}\\) matches this worker's build`));
      const settled = await submit(api, api.tx.leases.settle(lease), eve);
      assert.ok(findEvent(api, settled.events, 'leases', 'Settled').data.toProvider.toBigInt() > 0n);
    });
});
