// What a run needs, from its arguments and a few chain facts, before anything is sent: how many
// transactions of each kind, at what rate, from how many senders, and how many providers,
// machines, leases and jobs the setup must create. Pure: no chain connection.

/** The default mix: what a busy market's blocks might hold. Shares are relative weights. */
export const MIX_DEFAULT = Object.freeze({ rent: 40, heartbeat: 30, placeOrder: 15, settle: 10, transfer: 5 });
export const BASE_KINDS = Object.freeze(['transfer', 'rent', 'heartbeat', 'placeOrder', 'bid', 'settle']);

/** Chain facts (runtime/src/configs, pallets) the sizing depends on. */
export const CHAIN = Object.freeze({
  maxGpusPerMachine: 16, // MaxGpusPerMachine = MAX_GPUS_PER_MACHINE
  maxMachinesPerProvider: 256, // MaxMachinesPerProvider
  maxBidsPerJob: 16, // MaxBidsPerJob
  maxMatchCandidates: 8, // MaxMatchCandidates: an order looks at the 8 cheapest listings
  startChecksPerBlock: 2048, // MaxStartChecksPerBlock: rents per block the chain can schedule
  closesPerBlock: 512, // MaxClosesPerBlock: leases of one end block closing in one block
  closeDelay: 4, // MaxCloseDelay
  jobsPerBlock: 8, // MaxJobsPerBlock: jobs closing in one block
  maxLeasesPerMachine: 64, // MaxLeasesPerMachine
});

/** Our own choices, documented in README. */
export const SIZING = Object.freeze({
  machinesPerProvider: 64, // providers of the rent/order/settle/heartbeat pools
  rentGpus: 16, // GPUs of each rent, order and settle machine (the chain's maximum)
  heartbeatGpus: 4, // GPUs of each heartbeat machine: its telemetry lists 4 GPUs
  bidGpus: 1, // GPUs of each bidding machine
  orderMachines: 8, // at least MaxMatchCandidates: every candidate an order sees is ours
  maxOrderMachines: 1024, // the order pool has a GPU for every order, up to 16,384
  rentSizingCapPerBlock: 2400, // rents per block the rent pool is sized for (the target is 1,800)
  rentHeadroom: 1.25, // spare GPUs in the rent pool
  rentSpread: 64, // rent durations are --lease-blocks + 0..63, so their closes spread
  heartbeatWindowShare: 0.8, // a window's heartbeats are sent within 80 % of it
  settleRentsPerRenter: 16, // settle-pool leases per setup renter (one batch)
  jobsPerSubmitter: 64,
  minBidders: 16, // a job takes 16 bids, each from another machine
  maxBidders: 1024, // beyond this, each bidder signs more than --per-sender bids
  cores: { order: 256, rent: 240, settle: 232, heartbeat: 224, bid: 216 },
});

/** `rent=40,heartbeat=30,…` → { rent: 40, heartbeat: 30 }; throws on anything else. */
export function parseMix (text) {
  const mix = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)=(\d{1,3})$/.exec(part);
    if (!m) throw new Error(`"${part}" is not KIND=WEIGHT`);
    const [, kind, weight] = m;
    if (!BASE_KINDS.includes(kind)) throw new Error(`unknown kind "${kind}" (${BASE_KINDS.join(', ')})`);
    if (kind in mix) throw new Error(`"${kind}" given twice`);
    const w = Number(weight);
    if (w > 100) throw new Error(`weight of ${kind} above 100`);
    if (w > 0) mix[kind] = w;
  }
  if (Object.keys(mix).length === 0) throw new Error('needs at least one kind with a weight above 0');
  return mix;
}

/** Transactions per kind: all of `count` for one kind; a mix split by largest remainder. */
export function splitCounts (kind, count, mix) {
  if (kind !== 'mix') return { [kind]: count };
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  const exact = Object.entries(mix).map(([k, w]) => [k, (count * w) / total]);
  const counts = Object.fromEntries(exact.map(([k, x]) => [k, Math.floor(x)]));
  let left = count - Object.values(counts).reduce((a, b) => a + b, 0);
  const byRemainder = [...exact].sort((a, b) => (b[1] % 1) - (a[1] % 1) || BASE_KINDS.indexOf(a[0]) - BASE_KINDS.indexOf(b[0]));
  for (const [k] of byRemainder) {
    if (left === 0) break;
    counts[k] += 1;
    left -= 1;
  }
  return counts;
}

function gcd (a, b) {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The order in which the submitter takes kinds: a smooth weighted round robin, so a mix's kinds
 * interleave evenly. Its length is the sum of the weights divided by their gcd (at most 600).
 */
export function mixPattern (weights) {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  if (entries.length === 0) return [];
  const g = entries.map(([, w]) => w).reduce(gcd);
  const reduced = entries.map(([k, w]) => [k, w / g]);
  const total = reduced.reduce((n, [, w]) => n + w, 0);
  const current = Object.fromEntries(reduced.map(([k]) => [k, 0]));
  const pattern = [];
  for (let i = 0; i < total; i++) {
    let best = null;
    for (const [k, w] of reduced) {
      current[k] += w;
      if (best === null || current[k] > current[best]) best = k;
    }
    current[best] -= total;
    pattern.push(best);
  }
  return pattern;
}

const ceilDiv = (a, b) => Math.ceil(a / b);

/**
 * Sizes a run.
 * - `counts`: transactions per kind (`splitCounts`); `rate`: all kinds together, per second.
 * - `blockMs`: measured block time; `windowBlocks`: blocks per heartbeat window.
 * Returns { counts, rates, senders, pools, providers, trackedMachines, notes }.
 */
export function makePlan ({ counts, rate, durationS, blockMs, windowBlocks, perSender, leaseBlocks, settleLeases }) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const rates = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, (rate * n) / total]));
  const n = (k) => counts[k] ?? 0;
  const notes = [];

  const senders = {};
  if (n('transfer')) senders.transfer = Math.max(2, ceilDiv(n('transfer'), perSender));
  for (const k of ['rent', 'placeOrder', 'settle']) if (n(k)) senders[k] = ceilDiv(n(k), perSender);
  if (n('placeOrder') && perSender > 16) {
    notes.push('placeOrder: an unmatched order rests, and a renter may have 16 resting: --per-sender above 16 can fail with TooManyOrders');
  }

  const pools = {};
  if (n('rent')) {
    const perBlock = Math.min((rates.rent * blockMs) / 1000, SIZING.rentSizingCapPerBlock);
    const concurrent = perBlock * (leaseBlocks + SIZING.rentSpread + CHAIN.closeDelay + 2) * SIZING.rentHeadroom;
    const machines = Math.max(1, Math.min(ceilDiv(n('rent'), SIZING.rentGpus), ceilDiv(concurrent, SIZING.rentGpus)));
    pools.rent = { machines, gpus: SIZING.rentGpus, cores: SIZING.cores.rent };
    if ((rates.rent * blockMs) / 1000 > CHAIN.startChecksPerBlock) {
      notes.push(`rent: ${((rates.rent * blockMs) / 1000).toFixed(0)} rents per block asked; the chain schedules at most ${CHAIN.startChecksPerBlock} lease-start checks per block, so expect StartChecksFull failures`);
    }
  }
  if (n('placeOrder')) {
    // A GPU for every order, so orders fill rather than rest (a full book refuses them).
    const machines = Math.max(SIZING.orderMachines, Math.min(ceilDiv(n('placeOrder'), SIZING.rentGpus), SIZING.maxOrderMachines));
    pools.order = { machines, gpus: SIZING.rentGpus, cores: SIZING.cores.order };
  }
  if (n('settle')) {
    const leases = Math.min(settleLeases, n('settle'));
    pools.settle = { machines: ceilDiv(leases, SIZING.rentGpus), gpus: SIZING.rentGpus, cores: SIZING.cores.settle, leases };
  }
  if (n('heartbeat')) {
    const windowS = (windowBlocks * blockMs) / 1000;
    const perWindow = rates.heartbeat * windowS * SIZING.heartbeatWindowShare;
    const machines = Math.max(1, Math.min(n('heartbeat'), Math.ceil(perWindow)));
    const windows = ceilDiv(n('heartbeat'), machines);
    pools.heartbeat = { machines, gpus: SIZING.heartbeatGpus, cores: SIZING.cores.heartbeat, windows };
    const needS = windows * windowS;
    if (needS > durationS) {
      notes.push(`heartbeat: ${n('heartbeat')} heartbeats from ${machines} machines need ${windows} windows (~${needS.toFixed(0)} s), more than --duration ${durationS} s: the rest will not be sent`);
    }
  }
  if (n('bid')) {
    const machines = Math.max(SIZING.minBidders, Math.min(SIZING.maxBidders, ceilDiv(n('bid'), perSender)));
    pools.bid = { machines, gpus: SIZING.bidGpus, cores: SIZING.cores.bid, jobs: ceilDiv(n('bid'), CHAIN.maxBidsPerJob) };
  }

  const providers = {};
  for (const [name, pool] of Object.entries(pools)) {
    providers[name] = name === 'bid' ? pool.machines : ceilDiv(pool.machines, SIZING.machinesPerProvider);
  }
  const trackedMachines = Object.values(pools).reduce((sum, p) => sum + p.machines, 0);
  return { counts, rates, senders, pools, providers, trackedMachines, notes };
}

/** Which pools' machines run leases and so need heartbeats and start attestations. */
export const LEASED_POOLS = Object.freeze(['rent', 'order', 'settle']);
