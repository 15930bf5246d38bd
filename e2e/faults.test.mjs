// Faults on the 4-validator local network (chain-specs/local.json on loopback), with a provider
// serving two machines through gpux-worker and a lease on each:
// - a worker killed and restarted within the offline grace: nothing is reported;
// - one validator down: finality goes on; two down: blocks go on, finality stalls, and resumes
//   when one returns; both back: they catch up;
// - a validator killed with SIGKILL mid-lease and restarted on its database rejoins with the
//   same state, and the lease settles to the block what it owes;
// - a bounded flood of malformed and valid-but-unpayable extrinsics at one node's RPC: every
//   one refused, the node keeps producing and importing, its memory within a bound;
// - the load harness's mix for a minute (the soak's short form), and a worker down past the
//   grace: the lease closes as ProviderFault with its escrow refunded and a slash pending;
// - over all of it, every account's balance moved by exactly what the balances events say.
// docs/RELIABILITY.md has the figures and the 30-minute soak.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { auditRange, treasuryAccount } from '../load/lib/audit.mjs';
import {
  lastHeartbeatWindow, MILLI, SLOT_MS, SSH_KEY, startLocalNetwork, stopLocalNetwork, UNIT, waitForFinalized, waitForPeers, Worker,
} from './lib/network.mjs';
import { findEvent, submit, waitFor } from './lib/node.mjs';

const LOAD = join(dirname(fileURLToPath(import.meta.url)), '..', 'load', 'load.mjs');
const TIMEOUT = 600_000;
// The flood: how many of each, and how many unanswered at once.
const MALFORMED = 4_000;
const UNPAYABLE = 4_000;
const IN_FLIGHT = 32;
// What the flooded node's resident memory may grow by (docs/RELIABILITY.md).
const FLOOD_RSS_BOUND_MB = 200;

/** Resident and peak memory of `pid`, in MB (Linux). */
function memoryMb (pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

describe('faults on a 4-validator local network', () => {
  let nodes = {};
  let api;
  let dir;
  const workers = {};
  const accounts = {};
  const leases = {};
  let auditFrom;
  let workerBKilledAt;

  before(async () => {
    await cryptoWaitReady();
    nodes = await startLocalNetwork();
    await waitForPeers(nodes);
    api = await nodes.alice.api();
    const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
    for (const name of ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']) {
      accounts[name.toLowerCase()] = keyring.addFromUri(`//${name}`);
    }
    const { charlie, eve, ferdie } = accounts;
    auditFrom = await api.rpc.chain.getFinalizedHead();

    // Charlie provides two machines, each run by its own gpux-worker; Eve rents a GPU of A,
    // Ferdie one of B.
    dir = mkdtempSync(join(tmpdir(), 'gpux-faults-e2e-'));
    await submit(api, api.tx.marketplace.registerProvider('Charlie GPUs'), charlie);
    await submit(api, api.tx.providerStaking.bond(1_000n * UNIT), charlie);
    for (const name of ['a', 'b']) {
      workers[name] = new Worker({ nodeUrl: nodes.alice.wsUrl, keystore: join(dir, `${name}.key`), workspaces: join(dir, `leases-${name}`) });
      await workers[name].provide(api, charlie, '//Charlie');
      workers[name].start();
    }
    await waitFor('a first heartbeat from both machines', async () =>
      (await lastHeartbeatWindow(api, workers.a.machine)) >= 0 && (await lastHeartbeatWindow(api, workers.b.machine)) >= 0,
    30 * SLOT_MS);
    for (const [name, renter] of [['a', eve], ['b', ferdie]]) {
      const { events } = await submit(api,
        api.tx.leases.rent(workers[name].machine, 1, 'OnDemand', 2_000, 500n * MILLI, { sshPublicKey: SSH_KEY, sealKey: null }), renter);
      leases[name] = findEvent(api, events, 'leases', 'Rented').data.lease.toNumber();
    }
    await waitFor('both leases\' start attested', async () => {
      const attested = await Promise.all(Object.values(leases).map((l) => api.query.attestation.leaseAttestations(l)));
      return attested.every((a) => a.isSome && a.unwrap().started.isSome);
    }, 20 * SLOT_MS);
  });

  after(async () => {
    await Promise.all(Object.values(workers).map((w) => w.kill()));
    await api?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stopLocalNetwork(nodes);
  });

  const leaseOf = async (name, at = api) => (await at.query.leases.leases(leases[name])).unwrap();

  it('a worker killed and restarted within the grace: nothing is reported', { timeout: TIMEOUT }, async () => {
    const machine = workers.b.machine;
    await workers.b.kill();
    // The chain counts a missed window (its check of the window the worker was silent in)...
    await waitFor('a missed window', async () =>
      (await api.query.attestation.heartbeats(machine)).unwrap().missedInARow.toNumber() >= 1, 30 * SLOT_MS);
    const missedAt = await lastHeartbeatWindow(api, machine);
    // ...and the worker is back before more than OfflineGraceWindows (2) are missed.
    workers.b.start();
    await waitFor('a heartbeat after the restart', async () => (await lastHeartbeatWindow(api, machine)) > missedAt, 20 * SLOT_MS);
    assert.ok((await leaseOf('b')).status.isActive, 'the lease runs on');
    assert.ok((await api.query.marketplace.machines(machine)).unwrap().listing.isSome, 'still listed');
    assert.equal((await api.query.providerStaking.slashes.entries()).length, 0, 'no slash');
  });

  it('one validator down: finality goes on; two down: blocks go on and finality stalls; it resumes with one back, and both catch up',
    { timeout: TIMEOUT }, async () => {
      // The worker of machine B is killed now and stays down: its fault is checked at the end,
      // after the grace has run out while the other scenarios ran.
      await workers.b.kill();
      workerBKilledAt = await nodes.alice.bestNumber();

      await nodes.dave.kill();
      let finalized = await nodes.alice.finalizedNumber();
      await waitFor('finality to advance 2 blocks without Dave', async () =>
        (await nodes.alice.finalizedNumber()) >= finalized + 2, 20 * SLOT_MS);

      const bestAtKill = await nodes.alice.bestNumber();
      await nodes.charlie.kill();
      // GRANDPA needs 3 of 4 votes: a round Charlie had voted in may still finalize, then
      // nothing. Two blocks later that round is over.
      await waitFor('two blocks authored after the second validator left', async () =>
        (await nodes.alice.bestNumber()) >= bestAtKill + 2, 30 * SLOT_MS);
      finalized = await nodes.alice.finalizedNumber();
      const best = await nodes.alice.bestNumber();
      await waitFor('three more blocks from Alice and Bob alone', async () =>
        (await nodes.alice.bestNumber()) >= best + 3, 30 * SLOT_MS);
      assert.equal(await nodes.alice.finalizedNumber(), finalized, 'finality stalled with 2 of 4 validators');
      assert.equal(await nodes.bob.finalizedNumber(), finalized, 'on Bob too');

      nodes.dave.start();
      await nodes.dave.waitForRpc();
      const stalledBest = await nodes.alice.bestNumber();
      await waitFor(`finality to pass block ${stalledBest} with Dave back`, async () =>
        (await nodes.alice.finalizedNumber()) >= stalledBest, 30 * SLOT_MS);

      nodes.charlie.start();
      await nodes.charlie.waitForRpc();
      await waitForFinalized(nodes, await nodes.alice.finalizedNumber(), 30 * SLOT_MS);
    });

  it('a validator killed with SIGKILL mid-lease restarts on its database, rejoins with the same state, and the lease settles to the block',
    { timeout: TIMEOUT }, async () => {
      const { bob: node } = nodes;
      const before = await node.finalizedNumber();
      await node.kill();
      await waitFor('two blocks finalized without Bob', async () =>
        (await nodes.alice.finalizedNumber()) >= before + 2, 20 * SLOT_MS);
      node.start();
      await node.waitForRpc();
      // It kept its database: it does not sync from genesis, it starts where it stopped.
      assert.ok(await node.finalizedNumber() >= before, 'Bob\'s finalized block survived the kill');
      const target = await nodes.alice.finalizedNumber();
      await waitFor(`Bob to finalize block ${target}`, async () => (await node.finalizedNumber()) >= target, 20 * SLOT_MS);
      const hash = await node.rpc('chain_getBlockHash', [target]);
      assert.equal(hash, await nodes.alice.rpc('chain_getBlockHash', [target]), 'the same chain');
      const key = api.query.leases.leases.key(leases.a);
      assert.equal(await node.rpc('state_getStorage', [key, hash]), await nodes.alice.rpc('state_getStorage', [key, hash]));

      // Eve settles through Bob: the provider gets what accrued up to that block, less the fee.
      const bobApi = await node.api();
      try {
        const lease = await leaseOf('a', bobApi);
        const treasury = treasuryAccount(bobApi);
        const { blockHash, events } = await submit(bobApi, bobApi.tx.leases.settle(leases.a), accounts.eve);
        const { toProvider, fee } = findEvent(bobApi, events, 'leases', 'Settled').data;
        const at = (await bobApi.rpc.chain.getHeader(blockHash)).number.toNumber();
        const price = lease.pricePerGpuHour.toBigInt();
        const due = price * BigInt(lease.gpus.toNumber()) * BigInt(at - lease.startsAt.toNumber()) / 600n;
        const after = await leaseOf('a', await bobApi.at(blockHash));
        assert.equal(after.paid.toBigInt(), due, 'paid = price × GPUs × blocks ÷ 600, to the settling block');
        assert.equal(toProvider.toBigInt() + fee.toBigInt(), due - lease.paid.toBigInt());
        // Perbill × amount rounds to the nearest, a tie down.
        const parts = BigInt(lease.protocolFee.toNumber()) * (due - lease.paid.toBigInt());
        const billion = 1_000_000_000n;
        assert.equal(fee.toBigInt(), parts / billion + (parts % billion > billion / 2n ? 1n : 0n));
        // The money moved out of Eve's escrow to Charlie and the treasury (the suite's last
        // test audits every balance against such events).
        const moved = events.filter(({ event }) => bobApi.events.balances.TransferOnHold.is(event))
          .map(({ event }) => [event.data.source.toString(), event.data.dest.toString(), event.data.amount.toBigInt()]);
        assert.deepEqual(moved.sort(), [
          [accounts.eve.address, accounts.charlie.address, toProvider.toBigInt()],
          [accounts.eve.address, treasury, fee.toBigInt()],
        ].sort());
      } finally {
        await bobApi.disconnect();
      }
    });

  it('a flood of malformed and unpayable extrinsics at one node is refused, and the node keeps going within its memory bound',
    { timeout: TIMEOUT }, async () => {
      const node = nodes.dave;
      const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
      // Unpayable: transfers signed by 100 accounts that hold nothing, 10 nonces each.
      const unpayable = [];
      for (let a = 0; a < UNPAYABLE / 10; a++) {
        const pair = keyring.addFromUri(`//flood/${a}`);
        for (let nonce = 0; nonce < 10; nonce++) {
          unpayable.push((await api.tx.balances.transferKeepAlive(accounts.alice.address, UNIT)
            .signAsync(pair, { nonce, era: 0 })).toHex());
        }
      }
      // Malformed: random bytes, a valid transfer cut short, and a rent whose SSH key is 5,000 bytes.
      const valid = (await api.tx.balances.transferKeepAlive(accounts.alice.address, UNIT)
        .signAsync(accounts.ferdie, { nonce: 1_000_000, era: 0 })).toU8a();
      const longKey = (await api.tx.leases.rent(workers.a.machine, 1, 'OnDemand', 100, 500n * MILLI,
        { sshPublicKey: `ssh-ed25519 ${'A'.repeat(5_000)}`, sealKey: null })
        .signAsync(accounts.ferdie, { nonce: 1_000_000, era: 0 })).toHex();
      // xorshift32: the same bytes every run, and few repeats (a repeat is answered "banned").
      let seed = 2463534242;
      const random = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
      const malformed = Array.from({ length: MALFORMED }, (_, i) => {
        if (i % 10 === 0) return longKey;
        if (i % 3 === 0) return `0x${Buffer.from(valid.slice(0, 1 + (random() % (valid.length - 1)))).toString('hex')}`;
        return `0x${Buffer.from(Array.from({ length: random() % 300 }, () => random() % 256)).toString('hex')}`;
      });

      const memoryBefore = memoryMb(node.process.pid);
      const bestBefore = await node.bestNumber();
      const answers = { accepted: 0, errors: {} };
      const queue = [...malformed, ...unpayable].map((hex, i) => ({ hex, i })).sort((x, y) => (x.i * 7919) % 2000 - (y.i * 7919) % 2000);
      const started = Date.now();
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        for (let item = queue.pop(); item; item = queue.pop()) {
          try {
            await node.rpc('author_submitExtrinsic', [item.hex]);
            answers.accepted += 1;
          } catch (e) {
            // "author_submitExtrinsic: {code, message, data}": counted by code and message.
            const { code, message } = JSON.parse(e.message.slice(e.message.indexOf('{')));
            const key = `${code} ${message.slice(0, 120)}`;
            answers.errors[key] = (answers.errors[key] ?? 0) + 1;
          }
        }
      }));
      const floodMs = Date.now() - started;
      const memoryAfter = memoryMb(node.process.pid);
      console.log(`flood: ${MALFORMED + UNPAYABLE} extrinsics in ${floodMs} ms; answers ${JSON.stringify(answers)}; ` +
        `RSS ${memoryBefore.rss.toFixed(0)} -> ${memoryAfter.rss.toFixed(0)} MB (peak ${memoryAfter.peak.toFixed(0)} MB)`);

      assert.equal(answers.accepted, 0, 'nothing of the flood was accepted');
      // (The pool may hold the workers' own transactions, gossiped from Alice.)
      const flood = new Set([...malformed, ...unpayable]);
      const pending = await node.rpc('author_pendingExtrinsics');
      assert.equal(pending.filter((hex) => flood.has(hex)).length, 0, 'the pool holds none of the flood');
      // Resident memory after the flood, and its peak during it, within the bound.
      const grew = Math.max(memoryAfter.rss, memoryAfter.peak) - Math.max(memoryBefore.rss, memoryBefore.peak);
      assert.ok(memoryAfter.rss - memoryBefore.rss < FLOOD_RSS_BOUND_MB && grew < FLOOD_RSS_BOUND_MB,
        `RSS ${memoryBefore.rss.toFixed(0)} -> ${memoryAfter.rss.toFixed(0)} MB, peak ${memoryBefore.peak.toFixed(0)} -> ${memoryAfter.peak.toFixed(0)} MB: over the ${FLOOD_RSS_BOUND_MB} MB bound`);
      // Still producing (its own slots) and importing (the others'), and finalizing.
      await waitFor('the flooded node to import 3 more blocks', async () => (await node.bestNumber()) >= bestBefore + 3, 20 * SLOT_MS);
      await waitForFinalized({ dave: node }, bestBefore + 1, 20 * SLOT_MS);
    });

  it('the load harness\'s mix for a minute, and a worker down past the grace: its lease closes as ProviderFault',
    { timeout: TIMEOUT }, async () => {
      // The soak's short form: the mix paid for by Alice and Bob (the suite signs nothing with them).
      const load = spawn(process.execPath, [LOAD, '--url', nodes.alice.wsUrl, '--kind', 'mix', '--count', '300',
        '--duration', '60', '--rate', '5', '--funders', '//Alice,//Bob', '--seed', 'faults-e2e', '--audit',
        '--expect-landed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      load.stdout.on('data', (d) => { output += d; });
      load.stderr.on('data', (d) => { output += d; });
      const code = await new Promise((resolve) => load.on('exit', resolve));
      assert.equal(code, 0, output.slice(-4_000));
      assert.match(output, /money audit: \d+ blocks, \d+ balances events, \d+ accounts, \d+ planck moved: every balance equals what the events say/);

      // Machine B's worker has been down since the validator scenarios began.
      const lease = await waitFor('lease B to close', async () => {
        const l = await leaseOf('b');
        return l.status.isClosed ? l : null;
      }, 60 * SLOT_MS);
      assert.equal(lease.status.asClosed.reason.toString(), 'ProviderFault');
      const { ferdie, charlie } = accounts;
      const escrow = await api.query.balances.holds(ferdie.address);
      assert.equal(escrow.length, 0, 'Ferdie\'s escrow was refunded');
      // (The load harness's own providers are not Charlie.)
      const slashes = (await api.query.providerStaking.slashes.entries()).map(([, s]) => s.unwrap())
        .filter((s) => s.provider.toString() === charlie.address);
      assert.equal(slashes.length, 1);
      assert.equal(slashes[0].machine.toNumber(), workers.b.machine);
      assert.equal(slashes[0].kind.toString(), 'Offline');
      assert.equal(slashes[0].provider.toString(), charlie.address);
      assert.ok((await api.query.marketplace.machines(workers.b.machine)).unwrap().listing.isNone, 'the listing was withdrawn');
      assert.ok(slashes[0].reportedAt.toNumber() > workerBKilledAt);
      assert.ok((await leaseOf('a')).status.isActive, 'machine A, whose worker ran, is untouched');
    });

  it('over the whole suite, every balance moved by exactly what the balances events say', { timeout: TIMEOUT }, async () => {
    const to = await api.rpc.chain.getFinalizedHead();
    const audit = await auditRange(api, auditFrom, to);
    console.log(`suite audit: ${audit.blocks} blocks, ${audit.events} balances events, ${audit.accounts} accounts, ${audit.moved} planck moved`);
    assert.deepEqual(audit.mismatches, []);
    assert.ok(audit.blocks > 50 && audit.events > 20);
  });
});
