// Pre-signing: every transaction of the timed phase is built and signed here, before the clock
// starts. A signed transaction gets its sender's nonce in advance (each sender signs its own
// consecutive sequence) and an immortal era (or a mortal one from the finalized head); an
// unsigned heartbeat carries its worker key's signature for one heartbeat window and may only
// be sent while that window is the next block's.
import { blake2AsU8a } from '@polkadot/util-crypto';
import { bestNumber } from './chain.mjs';
import { heartbeatSendRange, heartbeatStatement, startOfWindow, windowOf, workerSigningMessage } from './codec.mjs';
import { mixPattern, SIZING } from './plan.mjs';
import { ACCESS, TRANSFER_AMOUNT } from './setup.mjs';

const RTX_4090 = 0;
/** Signing blocks the event loop; it yields this often so the keeper's heartbeats go out. */
const YIELD_EVERY = 256;
const yieldNow = () => new Promise((resolve) => setImmediate(resolve));

/** What every signed transaction is signed with, but the nonce. */
export async function signingOptions (api, era) {
  const base = {
    genesisHash: api.genesisHash,
    runtimeVersion: api.runtimeVersion,
    signedExtensions: api.registry.signedExtensions,
    version: api.extrinsicType,
    tip: 0,
  };
  if (era.immortal) return { options: { ...base, blockHash: api.genesisHash }, eraStart: null };
  // Mortal from the finalized head, so a reorganisation cannot orphan the era's block.
  const hash = await api.rpc.chain.getFinalizedHead();
  const header = await api.rpc.chain.getHeader(hash);
  const eraStart = header.number.toNumber();
  return {
    options: {
      ...base,
      blockHash: hash,
      era: api.registry.createType('ExtrinsicEra', { current: eraStart, period: era.period }),
    },
    eraStart,
  };
}

/** Signs `tx` as `pair` with the next nonce of `pair` in `nonces`; returns the queue item. */
function signed (tx, pair, nonces, options, kind) {
  const nonce = nonces.get(pair.address);
  nonces.set(pair.address, nonce + 1);
  tx.sign(pair, { ...options, nonce });
  return { kind, hex: tx.toHex(), hash: tx.hash.toHex() };
}

/** Next nonces of `pairs` from state (nothing of theirs is pending once setup is done). */
async function loadNonces (api, pairs, nonces) {
  const fresh = [...new Set(pairs.map((p) => p.address))].filter((a) => !nonces.has(a));
  for (let i = 0; i < fresh.length; i += 1000) {
    const chunk = fresh.slice(i, i + 1000);
    const accounts = await api.query.system.account.multi(chunk);
    chunk.forEach((address, k) => nonces.set(address, accounts[k].nonce.toNumber()));
  }
}

/** The SCALE telemetry codec and its blake2-256, from a heartbeat call with a blank signature. */
export function heartbeatTelemetry (api, machine) {
  const dummy = api.tx.attestation.heartbeat(machine.id, 0, machine.telemetry, new Uint8Array(64));
  const codec = dummy.method.args[2];
  return { codec, hash: blake2AsU8a(codec.toU8a(), 256) };
}

/** A signed heartbeat of `machine` for `window` (unsigned extrinsic, worker-key signature). */
export function heartbeatTx (api, machine, window, genesis) {
  machine.hb ??= heartbeatTelemetry(api, machine);
  const message = workerSigningMessage(genesis, heartbeatStatement(machine.id, window, machine.hb.hash));
  const signature = machine.worker.sign(message);
  return api.tx.attestation.heartbeat(machine.id, window, machine.hb.codec, signature);
}

/**
 * Pre-signs `counts` ({ kind: n }). Returns { queues: { kind: [item] }, pattern, signMs,
 * firstWindow }. Items: { kind, hex, hash, notBefore?, notAfter? } (best-block bounds).
 */
export async function presign (api, ctx) {
  const { counts, world, plan, keys, opts, facts, prices, lease, anchor, blockMs, log } = ctx;
  const { options, eraStart } = await signingOptions(api, opts.era);
  const nonces = new Map();
  const queues = {};
  const started = Date.now();
  const runBlocks = Math.ceil((opts.duration * 1000) / blockMs);
  const best = await bestNumber(api);
  if (!opts.era.immortal) {
    // Everything must still be valid when the run ends.
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const lifetime = eraStart + opts.era.period - best;
    const needed = runBlocks + opts.waitBlocks + Math.ceil((total * 2) / blockMs) + 10; // ~2 ms a signature
    if (lifetime < needed) {
      log(`warning: --era ${opts.era.period} leaves ${lifetime} blocks; the run may need ${needed}: late transactions will be refused as outdated`);
    }
  }

  for (const kind of ['transfer', 'rent', 'placeOrder', 'settle', 'bid']) {
    const n = counts[kind] ?? 0;
    if (!n) continue;
    const t0 = Date.now();
    queues[kind] = await SIGNERS[kind](api, { n, world, plan, keys, opts, facts, prices, lease, nonces, options, best, runBlocks });
    log(`pre-signed ${n} ${kind} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  let firstWindow = null;
  if (counts.heartbeat) {
    const t0 = Date.now();
    const machines = world.machines.heartbeat ?? [];
    if (machines.length === 0) throw new Error('no heartbeat machines were set up');
    // Time a few signatures to choose the first window that is still ahead once all are signed.
    const probeStart = Date.now();
    for (let i = 0; i < Math.min(20, machines.length); i++) heartbeatTx(api, machines[i], 0, facts.genesis);
    const perTxMs = (Date.now() - probeStart) / Math.min(20, machines.length);
    const estimateBlocks = Math.ceil((counts.heartbeat * perTxMs * 1.3 + 2000) / blockMs);
    // The heartbeat kind waits for a whole window (load.mjs) and measures it. In a mix nothing
    // waits: the window the signing ends in, if at least half of it is still ahead then, else the
    // next, so that heartbeats may go within half a window of the timed phase's start (always
    // taking the next window left a one-window mix without any when it began early in a window:
    // the fault suite's mix once sent 0 of 90).
    const signedBy = (await bestNumber(api)) + 1 + estimateBlocks;
    const current = windowOf(anchor, signedBy);
    const left = startOfWindow(anchor, current + 1) - signedBy;
    const wholeWindow = opts.kind === 'heartbeat' || left * 2 < Math.max(1, anchor.interval);
    firstWindow = wholeWindow ? current + 1 : current;
    const items = [];
    for (let w = firstWindow; items.length < counts.heartbeat; w++) {
      const range = heartbeatSendRange(anchor, w);
      for (const m of machines) {
        if (items.length >= counts.heartbeat) break;
        if (items.length % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
        const tx = heartbeatTx(api, m, w, facts.genesis);
        items.push({ kind: 'heartbeat', hex: tx.toHex(), hash: tx.hash.toHex(), window: w, ...range });
      }
    }
    queues.heartbeat = items;
    log(`pre-signed ${items.length} heartbeats for windows ${firstWindow}..${items[items.length - 1].window} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const weights = opts.kind === 'mix'
    ? Object.fromEntries(Object.entries(opts.mix).filter(([k]) => queues[k]?.length))
    : { [opts.kind]: 1 };
  return { queues, pattern: mixPattern(weights), signMs: Date.now() - started, firstWindow };
}

const SIGNERS = {
  async transfer (api, { n, keys, opts, nonces, options }) {
    const senders = Array.from({ length: Math.max(2, Math.ceil(n / opts.perSender)) }, (_, i) => keys.sender('transfer', i));
    await loadNonces(api, senders, nonces);
    const items = [];
    for (let i = 0; i < n; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
      const s = i % senders.length;
      const dest = senders[(s + 1) % senders.length].address;
      items.push(signed(api.tx.balances.transferKeepAlive(dest, TRANSFER_AMOUNT), senders[s], nonces, options, 'transfer'));
    }
    return items;
  },

  async rent (api, { n, world, keys, opts, prices, lease, nonces, options }) {
    const senders = Array.from({ length: Math.ceil(n / opts.perSender) }, (_, i) => keys.sender('rent', i));
    await loadNonces(api, senders, nonces);
    const machines = world.machines.rent;
    const items = [];
    for (let i = 0; i < n; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
      // Round robin over the pool: machine m is rented every `machines.length` rents. Durations
      // spread over `SIZING.rentSpread` blocks, so their closes spread too: leases of one end block
      // close at most 512 a block (MaxClosesPerBlock), rents can take 1,800 a block.
      const blocks = lease.leaseBlocks + (i % SIZING.rentSpread);
      const tx = api.tx.leases.rent(machines[i % machines.length].id, 1, 'OnDemand', blocks, prices.rentMax, ACCESS);
      items.push(signed(tx, senders[i % senders.length], nonces, options, 'rent'));
    }
    return items;
  },

  async placeOrder (api, { n, keys, opts, facts, prices, lease, nonces, options, best, runBlocks }) {
    const senders = Array.from({ length: Math.ceil(n / opts.perSender) }, (_, i) => keys.sender('placeOrder', i));
    await loadNonces(api, senders, nonces);
    const requirements = {
      gpuClass: RTX_4090, minVramGib: 24, minComputeCapability: null, minCpuCores: SIZING.cores.order, minRamGib: 0,
      minDiskGib: 0, minBandwidthUpMbps: 0, minBandwidthDownMbps: 0, country: null, minReputation: null, access: 'Ssh',
    };
    // Expiries after the run, spread over 500 blocks: each block expires at most 64 orders.
    const base = best + runBlocks + opts.waitBlocks + 20;
    const items = [];
    for (let i = 0; i < n; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
      const expiresAt = Math.min(base + (i % 500), best + facts.maxOrderLifetime - 1);
      const tx = api.tx.marketplace.placeOrder(requirements, 1, lease.orderLeaseBlocks, 'OnDemand', prices.orderMax,
        expiresAt, ACCESS, false);
      items.push(signed(tx, senders[i % senders.length], nonces, options, 'placeOrder'));
    }
    return items;
  },

  async settle (api, { n, world, keys, opts, nonces, options }) {
    const senders = Array.from({ length: Math.ceil(n / opts.perSender) }, (_, i) => keys.sender('settle', i));
    await loadNonces(api, senders, nonces);
    const leases = world.settleLeases;
    const items = [];
    for (let i = 0; i < n; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
      items.push(signed(api.tx.leases.settle(leases[i % leases.length]), senders[i % senders.length], nonces, options, 'settle'));
    }
    return items;
  },

  async bid (api, { n, world, prices, nonces, options }) {
    const bidders = world.machines.bid;
    const jobs = world.jobs;
    await loadNonces(api, bidders.map((m) => m.provider), nonces);
    const items = [];
    for (let i = 0; i < n; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
      const job = jobs[Math.floor(i / 16)];
      if (job === undefined) break; // fewer jobs posted than planned: setup said so
      // 16 consecutive bids go to one job, each from another machine (the pool has at least 16).
      const machine = bidders[i % bidders.length];
      items.push(signed(api.tx.marketplace.bid(job, machine.id, prices.bid), machine.provider, nonces, options, 'bid'));
    }
    return items;
  },
};
