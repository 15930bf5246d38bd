// Setup, pre-signing and the keeper driven against test/fake-api.mjs: their control flow, nonce
// bookkeeping, reuse on a second run and queue shapes. Chain shapes are the fake's assumptions.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cryptoWaitReady, sr25519Verify } from '@polkadot/util-crypto';
import { parseArgs } from '../lib/args.mjs';
import { heartbeatWindows } from '../lib/chain.mjs';
import { heartbeatStatement, windowOf, workerSigningMessage } from '../lib/codec.mjs';
import { Keeper } from '../lib/keeper.mjs';
import { Keys } from '../lib/keys.mjs';
import { heartbeatTelemetry, presign } from '../lib/kinds.mjs';
import { LEASED_POOLS, makePlan, splitCounts } from '../lib/plan.mjs';
import { bidderExtra, pricesFor, readFacts, senderWant, setupJobs, setupPools, setupSettleLeases, teardownSettleLeases } from '../lib/setup.mjs';
import { fakeApi } from './fake-api.mjs';

const quiet = () => {};

async function prepare (argv) {
  const api = fakeApi();
  const opts = parseArgs(argv);
  const keys = new Keys(42, opts.seed);
  api.state.sudo = keys.dev('//Alice').address;
  const facts = await readFacts(api);
  const lease = pricesFor(facts, opts.leaseBlocks);
  const counts = splitCounts(opts.kind, opts.count, opts.mix);
  const plan = makePlan({ counts, rate: opts.rate, durationS: opts.duration, blockMs: 1000, windowBlocks: 10,
    perSender: opts.perSender, leaseBlocks: opts.leaseBlocks, settleLeases: opts.settleLeases });
  const senderWants = Object.entries(plan.senders).flatMap(([kind, n]) => Array.from({ length: n }, (_, i) =>
    ({ pair: keys.sender(kind, i), want: senderWant(kind, Math.ceil(counts[kind] / n), facts, lease.prices, lease) })));
  return { api, opts, keys, facts, lease, counts, plan, senderWants };
}

describe('setup and pre-signing against a fake chain', () => {
  before(cryptoWaitReady);

  it('runs transfers on a chain without the market or utility, funding one call at a time', async () => {
    const api = fakeApi({ plain: true });
    const opts = parseArgs(['--kind', 'transfer', '--count', '40', '--duration', '60', '--rate', '40', '--seed', 'plain']);
    const keys = new Keys(42, opts.seed);
    api.state.sudo = keys.dev('//Alice').address;
    const facts = await readFacts(api);
    assert.equal(facts.market, false);
    assert.equal(await heartbeatWindows(api), null);
    const counts = splitCounts(opts.kind, opts.count, opts.mix);
    const plan = makePlan({ counts, rate: opts.rate, durationS: opts.duration, blockMs: 1000, windowBlocks: 0,
      perSender: opts.perSender, leaseBlocks: opts.leaseBlocks, settleLeases: opts.settleLeases });
    const lease = { prices: null };
    const senderWants = Array.from({ length: plan.senders.transfer }, (_, i) =>
      ({ pair: keys.sender('transfer', i), want: senderWant('transfer', Math.ceil(40 / plan.senders.transfer), facts, null, lease) }));
    const world = await setupPools(api, { plan, keys, opts, facts, prices: null, log: quiet, fundAlso: senderWants });
    // No batches: a sudo call per sender.
    assert.deepEqual(new Set(api.state.calls), new Set(['sudo.sudo', 'balances.forceSetBalance']));
    assert.equal(api.state.calls.filter((c) => c === 'balances.forceSetBalance').length, senderWants.length);
    for (const { pair, want } of senderWants) assert.ok(api.state.free.get(pair.address) >= want);
    const signed = await presign(api, { counts, world, plan, keys, opts, facts, prices: null, lease, anchor: null, blockMs: 1000, log: quiet });
    assert.equal(signed.queues.transfer.length, 40);
  });

  it('sets up a mix, reuses it on a second run, and pre-signs every kind', async () => {
    const ctx = await prepare(['--kind', 'mix', '--count', '400', '--duration', '60', '--rate', '40', '--settle-leases', '20', '--seed', 'flow']);
    const { api, opts, keys, facts, lease, counts, plan, senderWants } = ctx;
    const world = await setupPools(api, { plan, keys, opts, facts, prices: lease.prices, log: quiet, fundAlso: senderWants });
    for (const [pool, spec] of Object.entries(plan.pools)) {
      assert.equal(world.machines[pool].length, spec.machines, pool);
      for (const m of world.machines[pool]) assert.ok(api.state.machines.get(m.id).listing, `${pool} ${m.index} listed`);
    }
    // Every sender holds what it needs; every provider bonded 1.5 × 100 GPUX a GPU.
    for (const { pair, want } of senderWants) assert.ok(api.state.free.get(pair.address) >= want);
    const rentProvider = world.machines.rent[0].provider.address;
    const rentGpus = world.machines.rent.filter((m) => m.provider.address === rentProvider).length * 16;
    assert.equal(api.state.bonds.get(rentProvider), BigInt(rentGpus) * 150n * 10n ** 12n);
    // Order-pool listings are the cheapest.
    const orderPrice = api.state.machines.get(world.machines.order[0].id).listing.onDemandPrice;
    const rentPrice = api.state.machines.get(world.machines.rent[0].id).listing.onDemandPrice;
    assert.ok(orderPrice < rentPrice);

    // A second run with the same seed registers nothing new.
    const registered = api.state.calls.filter((c) => c === 'marketplace.registerMachine').length;
    const again = await setupPools(api, { plan, keys, opts, facts, prices: lease.prices, log: quiet, fundAlso: senderWants });
    assert.equal(api.state.calls.filter((c) => c === 'marketplace.registerMachine').length, registered);
    assert.deepEqual(again.machines.rent.map((m) => m.id), world.machines.rent.map((m) => m.id));

    // The keeper: a heartbeat per leased-pool machine per window, an attestation per new lease.
    const sent = [];
    const connection = { send: async (method, [hex]) => { sent.push({ method, hex }); return '0x'; } };
    const tags = new Map();
    const keeperMachines = LEASED_POOLS.flatMap((p) => world.machines[p] ?? []);
    const keeper = new Keeper({ api, machines: keeperMachines, anchor: { block: 0, window: 0, interval: 10 }, genesis: facts.genesis, connection, tags, log: quiet });
    world.settleLeases = await setupSettleLeases(api, { world, plan, keys, opts, facts, prices: lease.prices, log: quiet,
      onRented: (l, m) => keeper.onRented(l, m) });
    assert.equal(world.settleLeases.length, 20);
    assert.equal(new Set(world.settleLeases).size, 20);
    keeper.onHead(118); // next block 119: window 11
    keeper.onHead(118); // same window: nothing more
    keeper.onRented(world.settleLeases[0], world.machines.settle[0].id); // seen already
    keeper.onRented(999, 123456); // not our machine
    await keeper.flush(5000);
    assert.equal(keeper.stats.heartbeats, keeperMachines.length);
    assert.equal(keeper.stats.attestations, 20);
    assert.equal(sent.length, keeperMachines.length + 20);
    assert.equal(tags.size, sent.length);
    // A second run finds the open leases and rents none.
    const rents = api.state.calls.filter((c) => c === 'leases.rent').length;
    const reused = await setupSettleLeases(api, { world, plan, keys, opts, facts, prices: lease.prices, log: quiet, onRented: () => {} });
    assert.deepEqual(reused.sort(), [...world.settleLeases].sort());
    assert.equal(api.state.calls.filter((c) => c === 'leases.rent').length, rents);

    // Teardown terminates exactly the settle pool's leases; a later setup rents anew.
    assert.equal(await teardownSettleLeases(api, { world, plan, keys, opts, log: quiet }), 20);
    assert.ok(world.settleLeases.every((id) => api.state.leases.get(id).closed));
    assert.equal(await teardownSettleLeases(api, { world, plan, keys, opts, log: quiet }), 0);
    const fresh = await setupSettleLeases(api, { world, plan, keys, opts, facts, prices: lease.prices, log: quiet, onRented: () => {} });
    assert.equal(fresh.length, 20);
    assert.ok(fresh.every((id) => !world.settleLeases.includes(id)));
    world.settleLeases = fresh;

    const anchor = { block: 0, window: 0, interval: 10 };
    const signed = await presign(api, { counts, world, plan, keys, opts, facts, prices: lease.prices, lease, anchor, blockMs: 1000, log: quiet });
    for (const [kind, n] of Object.entries(counts)) assert.equal(signed.queues[kind].length, n, kind);
    assert.equal(signed.pattern.length, 20);
    // Each sender's nonces run on from its account's, without gaps.
    const byTx = signed.queues.rent.map((item) => JSON.parse(Buffer.from(item.hex.slice(2), 'hex').toString()));
    const perSender = new Map();
    for (const [, , signer, nonce] of byTx) perSender.set(signer, [...(perSender.get(signer) ?? []), nonce]);
    for (const [signer, nonces] of perSender) {
      const start = api.state.nonces.get(signer) ?? 0;
      assert.deepEqual(nonces, nonces.map((_, i) => start + i), signer);
    }
    // Rents go round the pool.
    const machinesRented = new Set(byTx.map(([, , , , args]) => args[0]));
    assert.equal(machinesRented.size, Math.min(world.machines.rent.length, counts.rent));
    // Heartbeats: one per machine per window, sendable only in their window.
    const hb = signed.queues.heartbeat;
    assert.ok(signed.firstWindow > windowOf(anchor, api.state.best + 1));
    for (const item of hb) {
      assert.equal(item.notBefore, item.window * 10 - 1);
      assert.equal(item.notAfter, item.window * 10 + 8);
    }
    const perWindow = new Map();
    for (const item of hb) perWindow.set(item.window, (perWindow.get(item.window) ?? 0) + 1);
    assert.ok([...perWindow.values()].every((n) => n <= world.machines.heartbeat.length));
    assert.equal(new Set(hb.map((i) => i.hash)).size, hb.length);
  });

  it('signs a heartbeat the worker key verifies over the statement bytes', async () => {
    const { api, keys, facts } = await prepare(['--kind', 'heartbeat', '--count', '10', '--duration', '30', '--rate', '5', '--seed', 'hb']);
    const machine = { id: 7, worker: keys.worker('heartbeat', 0), telemetry: { gpus: [], driverVersion: '550', samplesRoot: new Uint8Array(32) } };
    const { hash } = heartbeatTelemetry(api, machine);
    const message = workerSigningMessage(facts.genesis, heartbeatStatement(7, 42, hash));
    const signature = machine.worker.sign(message);
    assert.ok(sr25519Verify(message, signature, machine.worker.publicKey));
  });

  it('posts jobs for bid, spread over close blocks, and pre-signs 16 bids a job from distinct machines', async () => {
    const ctx = await prepare(['--kind', 'bid', '--count', '100', '--duration', '30', '--rate', '20', '--seed', 'bid']);
    const { api, opts, keys, facts, lease, counts, plan } = ctx;
    const bids = Math.ceil(counts.bid / plan.pools.bid.machines);
    const world = await setupPools(api, { plan, keys, opts, facts, prices: lease.prices, log: quiet,
      extraFree: (p) => (p.pool === 'bid' ? bidderExtra(bids, facts) : 0n) });
    assert.equal(world.machines.bid.length, 16);
    assert.equal(new Set(world.machines.bid.map((m) => m.provider.address)).size, 16);
    world.jobs = await setupJobs(api, { plan, keys, opts, facts, prices: lease.prices, jobLeaseBlocks: lease.jobLeaseBlocks, closeAfter: 100, log: quiet });
    assert.equal(world.jobs.length, 7);
    const signed = await presign(api, { counts, world, plan, keys, opts, facts, prices: lease.prices, lease, anchor: { block: 0, window: 0, interval: 10 }, blockMs: 1000, log: quiet });
    const bidsOf = signed.queues.bid.map((item) => JSON.parse(Buffer.from(item.hex.slice(2), 'hex').toString())[4]);
    assert.equal(bidsOf.length, 100);
    const pairs = new Set(bidsOf.map(([job, machine]) => `${job}/${machine}`));
    assert.equal(pairs.size, 100, 'no machine bids twice on a job');
    for (let job = 0; job < 7; job++) assert.ok(bidsOf.filter(([j]) => j === job).length <= 16);
  });

  it('refuses a plan the chain cannot watch, and funders that cannot pay', async () => {
    const ctx = await prepare(['--kind', 'heartbeat', '--count', '100000', '--duration', '600', '--rate', '20000', '--seed', 'big']);
    await assert.rejects(setupPools(ctx.api, { ...ctx, prices: ctx.lease.prices, log: quiet, fundAlso: ctx.senderWants }), /MaxTrackedMachines/);
    const poor = await prepare(['--kind', 'transfer', '--count', '100', '--duration', '30', '--rate', '5', '--fund-mode', 'transfer', '--seed', 'poor']);
    await assert.rejects(setupPools(poor.api, { ...poor, prices: poor.lease.prices, log: quiet, fundAlso: poor.senderWants }), /can spend 0 GPUX/);
  });
});
