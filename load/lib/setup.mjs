// The setup phase, not timed: funded senders, providers with bonds, registered and listed
// machines in pools, open leases for settle, and posted jobs for bid. Everything is derived
// from --seed and looked up first, so a second run with the same seed reuses what exists and
// only adds what is missing. Calls go in `utility.batchAll`s.
import { blake2AsU8a } from '@polkadot/util-crypto';
import { balanceOf, bestNumber, ChainError, eventsOf, multi, sendAll } from './chain.mjs';
import { gpuUuidHash, Keys } from './keys.mjs';
import { CHAIN, SIZING } from './plan.mjs';

const UNIT = 10n ** 12n;
const MILLI = 10n ** 9n;
/** Fee headroom per transaction: fees are weight in ps plus 1 µGPUX a byte, well below this. */
const FEE = 20n * MILLI;
/** Free balance a funder keeps back. */
const FUNDER_RESERVE = 100n * UNIT;
const COUNTRY = [78, 76]; // NL
const JOB_CID = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG';
export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT load@gpux';
export const ACCESS = Object.freeze({ sshPublicKey: SSH_KEY, sealKey: null });
/** Endpoint the keeper attests lease starts at (nobody connects). */
export const ENDPOINT = Object.freeze({ host: 'load.gpux.invalid', port: 22, method: 'Ssh', hostKeyFingerprint: null, jupyter: null });
/** Settle-pool leases run this long: the listings' maximum, a day of chain time. */
const SETTLE_LEASE_BLOCKS = 14_400;
const RTX_4090 = 0;

const ceilDiv = (a, b) => Math.ceil(a / b);
const bigMax = (a, b) => (a > b ? a : b);
const gpux = (planck) => `${(Number(planck / MILLI) / 1000).toLocaleString('en-US', { maximumFractionDigits: 3 })} GPUX`;

/** Chain values the setup and the transactions depend on, read once. */
export async function readFacts (api) {
  const c = api.consts;
  const big = (v, fallback) => (v === undefined ? fallback : v.toBigInt());
  const num = (v, fallback) => (v === undefined ? fallback : v.toNumber());
  const sudoKey = api.query.sudo ? await api.query.sudo.key() : null;
  const common = {
    genesis: api.genesisHash.toU8a(),
    existentialDeposit: big(c.balances?.existentialDeposit, MILLI),
    sudoKey: sudoKey && sudoKey.isSome ? sudoKey.unwrap().toString() : null,
  };
  // A chain without the market (the solochain template, measured for comparison): transfers.
  if (!api.call.marketplaceApi) return { ...common, market: false };
  const mfp = balanceOf(await api.call.marketplaceApi.mfp(RTX_4090));
  if (!mfp) throw new ChainError('marketplaceApi.mfp(0) is None: GPU class 0 (RTX 4090) is missing');
  return {
    ...common,
    market: true,
    mfp,
    minBondPerGpu: big(c.providerStaking?.minBondPerGpu, 100n * UNIT),
    providerDeposit: big(c.marketplace?.providerDeposit, UNIT),
    machineDeposit: big(c.marketplace?.machineDeposit, 4n * UNIT),
    orderDeposit: big(c.marketplace?.orderDeposit, 4n * UNIT),
    jobDeposit: big(c.marketplace?.jobDeposit, 5n * UNIT),
    bidDeposit: big(c.marketplace?.bidDeposit, UNIT),
    minEscrow: big(c.leases?.minEscrow, 10n * MILLI),
    blocksPerHour: num(c.leases?.blocksPerHour, 600),
    minBidWindow: num(c.marketplace?.minBidWindow, 10),
    maxBidWindow: num(c.marketplace?.maxBidWindow, 14_400),
    maxOrderLifetime: num(c.marketplace?.maxOrderLifetime, 100_800),
    maxTracked: num(c.attestation?.maxTrackedMachines, 5000),
    tracked: (await api.query.attestation.trackedMachineCount()).toNumber(),
  };
}

/**
 * Prices, as shares of the class's current Maximum Fair Price, and lease lengths long enough
 * that each lease holds at least `MinEscrow`.
 */
export function pricesFor (facts, leaseBlocks) {
  const share = (percent) => (facts.mfp * BigInt(percent)) / 100n;
  const prices = {
    list: share(80), // rent, settle, heartbeat and bid pools
    // The order pool lists just below the rest, so an order's 8 candidates (MaxMatchCandidates,
    // cheapest first) are ours; not far below, so the class's reference price (and with it the
    // MFP, 1.2 × reference) that our leases pull toward stays above every pool's price.
    orderList: share(79),
    orderMax: share(85),
    jobMax: share(90),
    bid: share(70),
    rentMax: facts.mfp, // a rent's most-per-GPU-hour: pays the listing's own price
  };
  const blocksFor = (price) => Number((facts.minEscrow * BigInt(facts.blocksPerHour)) / price) + 1;
  return {
    prices,
    leaseBlocks: Math.max(leaseBlocks, blocksFor(prices.list)),
    orderLeaseBlocks: Math.max(leaseBlocks, blocksFor(prices.orderList)),
    jobLeaseBlocks: Math.max(leaseBlocks, blocksFor(prices.bid)),
  };
}

/** What a lease of `gpus` GPUs for `blocks` at `price` per GPU-hour holds in escrow. */
function escrow (facts, price, gpus, blocks) {
  return (price * BigInt(gpus) * BigInt(blocks)) / BigInt(facts.blocksPerHour);
}

function spec (pool, gpus) {
  return {
    gpuClass: RTX_4090, gpuCount: gpus, vramGibPerGpu: 24, computeCapability: { major: 8, minor: 9 },
    cpuCores: SIZING.cores[pool], ramGib: 512, diskGib: 8000, bandwidthUpMbps: 10_000, bandwidthDownMbps: 10_000,
  };
}

function terms (price) {
  return {
    onDemandPrice: price, spotFloorPrice: price / 8n, minLeaseBlocks: 10, maxLeaseBlocks: SETTLE_LEASE_BLOCKS,
    availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
  };
}

/** The telemetry a machine of `gpus` RTX 4090s reports: it matches the registered spec. */
export function telemetryFor (seed, pool, index, gpus) {
  return {
    gpus: Array.from({ length: gpus }, (_, g) => ({
      uuidHash: gpuUuidHash(seed, pool, index, g),
      utilizationPct: 90,
      memoryUsedMib: 20_000,
      memoryTotalMib: 24_564, // what the driver reports for 24 GiB: over the 90 % the chain asks
      temperatureC: 65,
      powerW: 350,
      eccErrors: 0,
      xidErrors: 0,
      retiredPages: null, // RTX 4090s remap rows instead
      remappedRows: 0,
    })),
    driverVersion: '550.54.15',
    samplesRoot: blake2AsU8a(`gpux-load/${seed}/${pool}/${index}/samples`, 256),
  };
}

/**
 * `calls` as batchAll transactions of at most `size` calls (a lone call goes as it is; on a chain
 * without `utility`, every call).
 */
function batches (api, calls, size) {
  if (!api.tx.utility) return calls;
  const out = [];
  for (let i = 0; i < calls.length; i += size) {
    const chunk = calls.slice(i, i + size);
    out.push(chunk.length === 1 ? chunk[0] : api.tx.utility.batchAll(chunk));
  }
  return out;
}

/**
 * Funds `wants` ([{ pair, want }]: the free balance each needs) that hold less: through sudo's
 * `balances.forceSetBalance` when a funder holds the sudo key (and --fund-mode allows), else by
 * `transferKeepAlive` from the funders. Refuses, naming the shortfall, when the funders cannot.
 */
export async function fund (api, { wants, keys, opts, facts, log }) {
  const accounts = await multi(api.query.system.account, wants.map((w) => w.pair.address));
  const short = [];
  wants.forEach((w, i) => {
    const free = accounts[i].data.free.toBigInt();
    if (free < w.want) short.push({ ...w, free, top: w.want - free + facts.existentialDeposit });
  });
  if (short.length === 0) { log('funding: every account holds enough already'); return; }
  const funders = opts.funders.map((uri) => keys.dev(uri));
  const sudoer = facts.sudoKey && funders.find((f) => f.address === facts.sudoKey);
  const mode = opts.fundMode === 'auto' ? (sudoer ? 'sudo' : 'transfer') : opts.fundMode;
  const total = short.reduce((n, s) => n + s.top, 0n);
  log(`funding: ${short.length} accounts, ${gpux(total)} in all, by ${mode}`);
  if (mode === 'sudo') {
    if (!sudoer) throw new ChainError(`--fund-mode sudo: none of --funders holds the sudo key (${facts.sudoKey ?? 'the chain has none'})`);
    const calls = short.map((s) => api.tx.balances.forceSetBalance(s.pair.address, s.free + s.top));
    const items = batches(api, calls, 256).map((tx, i) => ({ pair: sudoer, tx: api.tx.sudo.sudo(tx), what: `funding batch ${i}` }));
    // Unbatched (no `utility`), more go at once (each waits for its block; a connection holds
    // at most 1,024 subscriptions).
    const results = await sendAll(api, items, { concurrency: api.tx.utility ? 16 : 256 });
    for (const r of results) {
      for (const e of eventsOf(api, r.events, 'sudo', 'Sudid')) {
        if (e.data.sudoResult.isErr) throw new ChainError(`funding by sudo failed: ${e.data.sudoResult.asErr.toString()}`);
      }
    }
    return;
  }
  const balances = (await api.query.system.account.multi(funders.map((f) => f.address))).map((a) => a.data.free.toBigInt());
  const spendable = balances.map((b) => bigMax(0n, b - FUNDER_RESERVE));
  const available = spendable.reduce((a, b) => a + b, 0n);
  if (available < total) {
    throw new ChainError(`the funders (${opts.funders.join(', ')}) can spend ${gpux(available)}, the setup needs ${gpux(total)}: ` +
      'lower --rate, --count or --settle-leases, add --funders, or run on a --dev chain with sudo');
  }
  // Each account is paid by the funder with the most left.
  const perFunder = funders.map(() => []);
  for (const s of short) {
    const f = spendable.indexOf(spendable.reduce((a, b) => (b > a ? b : a)));
    spendable[f] -= s.top;
    perFunder[f].push(api.tx.balances.transferKeepAlive(s.pair.address, s.top));
  }
  const items = perFunder.flatMap((calls, f) => batches(api, calls, 256)
    .map((tx, i) => ({ pair: funders[f], tx, what: `funding batch ${i} from ${opts.funders[f]}` })));
  await sendAll(api, items, { concurrency: api.tx.utility ? 32 : 256 });
}

/** The machines a pool is made of: indices, providers, worker keys, telemetry. */
function poolLayout (keys, pool, spec_) {
  const machines = [];
  const perProvider = pool === 'bid' ? 1 : SIZING.machinesPerProvider;
  for (let i = 0; i < spec_.machines; i++) {
    machines.push({
      pool, index: i, gpus: spec_.gpus,
      provider: keys.provider(pool, Math.floor(i / perProvider)),
      worker: keys.worker(pool, i),
    });
  }
  return machines;
}

/**
 * Providers, bonds, machines and listings for every pool of `plan`. Returns
 * { machines: { pool: [machine] } } where each machine has its chain `id`.
 * `extraFree(provider)` adds what a provider needs later (bid deposits).
 */
export async function setupPools (api, { plan, keys, opts, facts, prices, log, extraFree = () => 0n, fundAlso = [] }) {
  const pools = Object.fromEntries(Object.entries(plan.pools).map(([name, p]) => [name, poolLayout(keys, name, p)]));
  const all = Object.values(pools).flat();
  if (all.length === 0) {
    await fund(api, { wants: fundAlso, keys, opts, facts, log });
    return { machines: pools };
  }

  // What exists already (a previous run with this seed).
  const ids = await multi(api.query.marketplace.machineOfWorkerKey, all.map((m) => m.worker.publicKey));
  ids.forEach((id, i) => { if (id.isSome) all[i].id = id.unwrap().toNumber(); });
  const records = await multi(api.query.marketplace.machines, all.map((m) => m.id ?? 0));
  all.forEach((m, i) => {
    if (m.id === undefined) return;
    const record = records[i].unwrapOr(null);
    if (!record || record.provider.toString() !== m.provider.address) {
      throw new ChainError(`worker key of ${m.pool} machine ${m.index} belongs to machine ${m.id} of another provider: use another --seed`);
    }
    m.listed = record.listing.isSome;
  });
  const newListings = all.filter((m) => !m.listed).length;
  if (facts.tracked + newListings > facts.maxTracked - 16) {
    throw new ChainError(`the plan lists ${newListings} more machines; the chain watches ${facts.tracked} of at most ${facts.maxTracked} ` +
      `(MaxTrackedMachines): lower --rate or --count for heartbeat, rent or bid, or raise --per-sender for bid`);
  }

  // Each provider's share: machines to register, GPUs its bond must back (with a margin that
  // keeps it backed while slashes for missed proof-of-GPU challenges are pending).
  const providers = new Map();
  for (const m of all) {
    const p = providers.get(m.provider.address) ?? { pair: m.provider, pool: m.pool, machines: [], gpus: 0 };
    p.machines.push(m);
    p.gpus += m.gpus;
    providers.set(m.provider.address, p);
  }
  const list = [...providers.values()];
  const [registered, bonds] = await Promise.all([
    multi(api.query.marketplace.providers, list.map((p) => p.pair.address)),
    multi(api.query.providerStaking.bonds, list.map((p) => p.pair.address)),
  ]);
  list.forEach((p, i) => {
    p.registered = registered[i].isSome;
    const ledger = bonds[i].isSome ? bonds[i].unwrap() : null;
    const active = ledger ? ledger.active.toBigInt() : 0n;
    // Slashes pending against the bond (missed challenges of earlier runs) count against it.
    const pending = ledger?.pendingAmount ? ledger.pendingAmount.toBigInt() : 0n;
    const target = (BigInt(p.gpus) * facts.minBondPerGpu * 3n) / 2n + pending;
    p.bond = target > active ? target - active : 0n;
    const newMachines = p.machines.filter((m) => m.id === undefined).length;
    p.want = (p.registered ? 0n : facts.providerDeposit) + BigInt(newMachines) * facts.machineDeposit + p.bond +
      BigInt(ceilDiv(newMachines + 2, opts.setupBatch) + 2) * UNIT + extraFree(p);
  });

  await fund(api, { wants: [...list.map((p) => ({ pair: p.pair, want: p.want })), ...fundAlso], keys, opts, facts, log });

  // Register providers, bond, register machines.
  const items = [];
  for (const [i, p] of list.entries()) {
    const calls = [];
    if (!p.registered) calls.push(api.tx.marketplace.registerProvider(`gpux-load ${opts.seed} ${p.pool} ${i}`));
    if (p.bond > 0n) calls.push(api.tx.providerStaking.bond(p.bond));
    for (const m of p.machines.filter((x) => x.id === undefined)) {
      calls.push(api.tx.marketplace.registerMachine(spec(m.pool, m.gpus), m.worker.publicKey,
        Keys.proof(facts.genesis, m.worker, p.pair), { country: COUNTRY, location: null }, null));
    }
    batches(api, calls, opts.setupBatch).forEach((tx, b) => items.push({ pair: p.pair, tx, what: `${p.pool} provider ${i} setup ${b}` }));
  }
  if (items.length) {
    log(`setup: ${items.length} transactions registering providers, bonds and ${all.filter((m) => m.id === undefined).length} machines`);
    await sendAll(api, items, { concurrency: 64 });
  }
  const after = await multi(api.query.marketplace.machineOfWorkerKey, all.map((m) => m.worker.publicKey));
  after.forEach((id, i) => {
    if (id.isNone) throw new ChainError(`${all[i].pool} machine ${all[i].index} is not registered after setup`);
    all[i].id = id.unwrap().toNumber();
  });

  // List what is not listed.
  const listItems = [];
  for (const [i, p] of list.entries()) {
    const calls = p.machines.filter((m) => !m.listed)
      .map((m) => api.tx.marketplace.setListing(m.id, terms(m.pool === 'order' ? prices.orderList : prices.list)));
    batches(api, calls, opts.setupBatch).forEach((tx, b) => listItems.push({ pair: p.pair, tx, what: `${p.pool} provider ${i} listing ${b}` }));
  }
  if (listItems.length) {
    log(`setup: listing ${all.filter((m) => !m.listed).length} machines`);
    await sendAll(api, listItems, { concurrency: 64 });
  }
  for (const m of all) {
    m.listed = true;
    m.telemetry = telemetryFor(opts.seed, m.pool, m.index, m.gpus);
  }
  return { machines: pools };
}

/**
 * The settle pool's open leases: those our settle renters hold already on settle-pool
 * machines, plus new one-GPU leases of `SETTLE_LEASE_BLOCKS` rented at most 256 a block (their
 * closes, all of one end block, fit the chain's 512 a block). `onRented(lease, machine)` hears of each lease
 * whose start is not attested yet. Returns the lease ids.
 */
export async function setupSettleLeases (api, { world, plan, keys, opts, facts, prices, log, onRented }) {
  const wanted = plan.pools.settle.leases;
  const machines = world.machines.settle;
  const byId = new Map(machines.map((m) => [m.id, m]));
  const renters = Array.from({ length: ceilDiv(wanted, SIZING.settleRentsPerRenter) }, (_, i) => keys.helper('settle-renter', i));
  const leases = [];
  for (const renter of renters) {
    const held = await api.call.leasesApi.leasesOf(renter.address, null, 100);
    for (const [id, record] of held) {
      if (!record.status.isClosed && byId.has(record.machine.toNumber()) && leases.length < wanted) {
        leases.push({ id: id.toNumber(), machine: record.machine.toNumber() });
      }
    }
  }
  const attestations = await multi(api.query.attestation.leaseAttestations, leases.map((l) => l.id));
  leases.forEach((l, i) => {
    const a = attestations[i].unwrapOr(null);
    if (!a || a.started.isNone) onRented(l.id, l.machine);
  });
  const missing = wanted - leases.length;
  log(`setup: settle pool has ${leases.length} open leases, renting ${Math.max(0, missing)} more`);
  if (missing <= 0) return leases.map((l) => l.id);

  const records = await multi(api.query.marketplace.machines, machines.map((m) => m.id));
  const free = records.map((r, i) => (r.isSome ? machines[i].gpus - r.unwrap().leasedGpus.toNumber() : 0));
  const assign = [];
  for (let m = 0; assign.length < missing && m < machines.length; m++) {
    for (; free[m] > 0 && assign.length < missing; free[m]--) assign.push(machines[m]);
  }
  if (assign.length < missing) throw new ChainError(`the settle pool has GPUs free for ${assign.length} more leases, ${missing} wanted`);

  const hold = escrow(facts, prices.list, 1, SETTLE_LEASE_BLOCKS);
  const perRenter = SIZING.settleRentsPerRenter;
  await fund(api, {
    wants: renters.map((pair) => ({ pair, want: BigInt(perRenter) * (hold + FEE) + UNIT })), keys, opts, facts, log,
  });
  // Rounds of at most 16 batches of 16 rents, one round a block.
  const rents = assign.map((m, k) => ({ renter: renters[Math.floor((leases.length + k) / perRenter) % renters.length], machine: m }));
  const byRenter = new Map();
  for (const r of rents) byRenter.set(r.renter.address, [...(byRenter.get(r.renter.address) ?? []), r]);
  const batchItems = [...byRenter.values()].flatMap((group) => {
    const out = [];
    for (let i = 0; i < group.length; i += perRenter) {
      const chunk = group.slice(i, i + perRenter);
      out.push({
        pair: chunk[0].renter,
        tx: api.tx.utility.batchAll(chunk.map((r) => api.tx.leases.rent(r.machine.id, 1, 'OnDemand', SETTLE_LEASE_BLOCKS, prices.rentMax, ACCESS))),
        what: 'settle-pool rents',
      });
    }
    return out;
  });
  for (let i = 0; i < batchItems.length; i += 16) {
    const round = batchItems.slice(i, i + 16);
    const results = await sendAll(api, round, { concurrency: 16 });
    for (const r of results) {
      for (const e of eventsOf(api, r.events, 'leases', 'Rented')) {
        const lease = e.data.lease.toNumber();
        const machine = e.data.machine.toNumber();
        leases.push({ id: lease, machine });
        onRented(lease, machine);
      }
    }
  }
  return leases.map((l) => l.id);
}

/**
 * Ends the settle pool's leases (their renters terminate them), so that once the keeper stops
 * the chain does not report their machines offline, close the leases as faults and slash the
 * providers. The next run rents new ones. Returns how many it terminated.
 */
export async function teardownSettleLeases (api, { world, plan, keys, opts, log }) {
  const ours = new Set(world.settleLeases ?? []);
  const renters = Array.from({ length: ceilDiv(plan.pools.settle.leases, SIZING.settleRentsPerRenter) }, (_, i) => keys.helper('settle-renter', i));
  const items = [];
  let count = 0;
  for (const renter of renters) {
    const held = await api.call.leasesApi.leasesOf(renter.address, null, 100);
    const open = held.filter(([id, record]) => !record.status.isClosed && ours.has(id.toNumber())).map(([id]) => id.toNumber());
    count += open.length;
    batches(api, open.map((id) => api.tx.leases.terminate(id)), opts.setupBatch)
      .forEach((tx) => items.push({ pair: renter, tx, what: 'terminating settle-pool leases' }));
  }
  if (items.length) {
    log(`teardown: terminating ${count} settle-pool leases`);
    await sendAll(api, items, { concurrency: 16 });
  }
  return count;
}

/**
 * Jobs for bid: `plan.pools.bid.jobs` jobs whose bid windows close after the timed phase
 * (`closeAfter` blocks from now), spread at most 8 a block (`MaxJobsPerBlock`). Returns their
 * ids, in posting order.
 */
export async function setupJobs (api, { plan, keys, opts, facts, prices, jobLeaseBlocks, closeAfter, log }) {
  const count = plan.pools.bid.jobs;
  const spread = ceilDiv(count, CHAIN.jobsPerBlock);
  if (closeAfter + spread + 20 > facts.maxBidWindow) {
    throw new ChainError(`bid: ${count} jobs closing after the run need bid windows up to ${closeAfter + spread + 20} blocks; ` +
      `the chain allows ${facts.maxBidWindow} (MaxBidWindow): lower --count or --duration`);
  }
  const submitters = Array.from({ length: ceilDiv(count, SIZING.jobsPerSubmitter) }, (_, i) => keys.helper('job-submitter', i));
  const award = escrow(facts, prices.jobMax, 1, jobLeaseBlocks);
  await fund(api, {
    // A batch may run a few jobs past a submitter's share: fund a batch more.
    wants: submitters.map((pair) => ({ pair, want: BigInt(SIZING.jobsPerSubmitter + opts.setupBatch) * (facts.jobDeposit + award + FEE) + UNIT })),
    keys, opts, facts, log,
  });
  const requirements = {
    gpuClass: RTX_4090, minVramGib: 24, minComputeCapability: null, minCpuCores: SIZING.cores.bid, minRamGib: 0,
    minDiskGib: 0, minBandwidthUpMbps: 0, minBandwidthDownMbps: 0, country: null, minReputation: null, access: 'Ssh',
  };
  const closeBase = (await bestNumber(api)) + closeAfter;
  const jobs = [];
  const perBatch = Math.min(opts.setupBatch, CHAIN.jobsPerBlock);
  log(`setup: posting ${count} jobs, closing from block ~${closeBase}`);
  // Rounds of at most 64 batches; bid windows recomputed from the best block at each round.
  for (let g = 0; g < count;) {
    const best = await bestNumber(api);
    const items = [];
    for (let b = 0; b < 64 && g < count; b++) {
      const submitter = submitters[Math.floor(g / SIZING.jobsPerSubmitter)];
      const calls = [];
      for (let k = 0; k < perBatch && g < count; k++, g++) {
        const window = Math.max(facts.minBidWindow, closeBase + Math.floor(g / CHAIN.jobsPerBlock) - (best + 1));
        calls.push(api.tx.marketplace.postJob(requirements, 1, jobLeaseBlocks, prices.jobMax, window, false, JOB_CID, ACCESS));
      }
      items.push({ pair: submitter, tx: calls.length === 1 ? calls[0] : api.tx.utility.batchAll(calls), what: 'posting jobs' });
    }
    const results = await sendAll(api, items, { concurrency: 64 });
    for (const r of results) {
      for (const e of eventsOf(api, r.events, 'marketplace', 'JobPosted')) jobs.push(e.data.job.toNumber());
    }
  }
  return jobs;
}

/** The free balance each sender of `kind` needs for `perSender` transactions. */
export function senderWant (kind, perSender, facts, prices, { leaseBlocks, orderLeaseBlocks }) {
  const n = BigInt(perSender);
  switch (kind) {
    case 'transfer': return n * (TRANSFER_AMOUNT + FEE) + UNIT;
    case 'rent': return n * (escrow(facts, prices.list, 1, leaseBlocks + SIZING.rentSpread - 1) + FEE) + UNIT;
    case 'placeOrder': return n * (escrow(facts, prices.orderMax, 1, orderLeaseBlocks) + facts.orderDeposit + FEE) + UNIT;
    case 'settle': return n * FEE + UNIT;
    default: throw new Error(`no sender want for ${kind}`);
  }
}

/** What each transfer moves: a thousandth of a GPUX. */
export const TRANSFER_AMOUNT = MILLI;

/** The free balance a bidding provider needs for `bids` bids (deposits held until close). */
export function bidderExtra (bids, facts) {
  return BigInt(bids) * (facts.bidDeposit + FEE) + UNIT;
}
