#!/usr/bin/env node
// gpux-load: pre-funds accounts and sets up providers, machines, leases and jobs (not timed),
// pre-signs transactions of one kind (or a mix), submits them to a loopback node at a
// controlled rate, and reports per block what landed, the block's weight and how long it took
// to build and import. See README.md. Exit: 0 done, 1 --expect-landed failed, 2 bad arguments,
// 3 the chain could not be reached, set up or measured.
import { existsSync, writeFileSync } from 'node:fs';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { parseArgs, USAGE, UsageError } from './lib/args.mjs';
import { AuditError, auditRange } from './lib/audit.mjs';
import { bestNumber, ChainError, connectApi, heartbeatWindows, measureBlockTime, rawConnection, sleep, waitFor, withTimeout } from './lib/chain.mjs';
import { Keeper } from './lib/keeper.mjs';
import { Keys } from './lib/keys.mjs';
import { presign } from './lib/kinds.mjs';
import { AuthorLog, BlockObserver, ImportWatcher } from './lib/observe.mjs';
import { LEASED_POOLS, makePlan, splitCounts } from './lib/plan.mjs';
import { buildReport, expectationFailures, formatReport, toJson } from './lib/report.mjs';
import { bidderExtra, pricesFor, readFacts, senderWant, setupJobs, setupPools, setupSettleLeases, teardownSettleLeases } from './lib/setup.mjs';
import { Submitter } from './lib/submit.mjs';

const log = (message) => process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${message}\n`);

/** Everything opened, closed at the end whatever happens (each close bounded). */
const cleanups = [];
async function cleanup () {
  while (cleanups.length) {
    const close = cleanups.pop();
    try { await withTimeout(Promise.resolve(close()), 5_000, 'closing'); } catch { /* closing anyway */ }
  }
}

async function main (argv) {
  let opts;
  try {
    opts = parseArgs(argv);
    if (opts.help) { process.stdout.write(`${USAGE}\n`); return 0; }
    for (const [flag, path] of [...opts.authorLogs.map((p) => ['--author-log', p]), ['--import-log', opts.importLog]]) {
      if (path && !existsSync(path)) throw new UsageError(`${flag}: no file at ${path}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  for (const note of opts.notes ?? []) log(`note: ${note}`);
  await cryptoWaitReady();
  const startedAt = new Date().toISOString();
  const errors = [];

  const api = await connectApi(opts.url);
  cleanups.push(() => api.disconnect());
  const chain = {
    name: (await api.rpc.system.chain()).toString(),
    specVersion: api.runtimeVersion.specVersion.toNumber(),
    genesis: api.genesisHash.toHex(),
  };
  const facts = await readFacts(api);
  const anchor = await heartbeatWindows(api);
  const counts = splitCounts(opts.kind, opts.count, opts.mix);
  const marketKinds = Object.keys(counts).filter((k) => k !== 'transfer' && counts[k] > 0);
  if (!facts.market && marketKinds.length) {
    throw new ChainError(`${chain.name} has no marketplace: only --kind transfer runs on it (asked for ${marketKinds.join(', ')})`);
  }
  log(`connected to ${chain.name} (spec ${chain.specVersion}) at ${opts.url}; measuring block time`);
  const blockMs = await measureBlockTime(api, 2, 90_000);
  const plan = makePlan({
    counts, rate: opts.rate, durationS: opts.duration, blockMs, windowBlocks: anchor?.interval ?? 0,
    perSender: opts.perSender, leaseBlocks: opts.leaseBlocks, settleLeases: opts.settleLeases,
  });
  const lease = facts.market ? pricesFor(facts, opts.leaseBlocks) : { prices: null };
  const { prices } = lease;
  log(facts.market
    ? `block time ${Math.round(blockMs)} ms; heartbeat windows of ${anchor.interval} blocks; MFP ${facts.mfp} planck/GPU-hour`
    : `block time ${Math.round(blockMs)} ms; no marketplace on this chain`);
  log(`plan: ${JSON.stringify(plan.counts)}; machines ${JSON.stringify(Object.fromEntries(Object.entries(plan.pools).map(([k, p]) => [k, p.machines])))}; senders ${JSON.stringify(plan.senders)}`);
  for (const note of plan.notes) log(`note: ${note}`);

  const keys = new Keys(api.registry.chainSS58, opts.seed);
  const senderWants = Object.entries(plan.senders).flatMap(([kind, n]) => {
    const perSender = Math.ceil(counts[kind] / n);
    const want = senderWant(kind, perSender, facts, prices, lease);
    return Array.from({ length: n }, (_, i) => ({ pair: keys.sender(kind, i), want }));
  });
  const bidsPerBidder = plan.pools.bid ? Math.ceil(counts.bid / plan.pools.bid.machines) : 0;

  // ---- setup (not timed)
  const setupStart = Date.now();
  const world = await setupPools(api, {
    plan, keys, opts, facts, prices, log, fundAlso: senderWants,
    extraFree: (p) => (p.pool === 'bid' ? bidderExtra(bidsPerBidder, facts) : 0n),
  });
  const tags = new Map();
  let keeper = null;
  const keeperMachines = LEASED_POOLS.flatMap((p) => world.machines[p] ?? []);
  if (opts.keeper === 'on' || (opts.keeper === 'auto' && keeperMachines.length > 0)) {
    const connection = await rawConnection(opts.url);
    cleanups.push(() => connection.disconnect());
    keeper = new Keeper({ api, machines: keeperMachines, anchor, genesis: facts.genesis, connection, tags, log });
    const unsubscribe = await api.rpc.chain.subscribeNewHeads((h) => keeper.onHead(h.number.toNumber()));
    cleanups.push(() => { keeper.stop(); unsubscribe(); });
    log(`keeper: heartbeats every window and lease-start attestations for ${keeperMachines.length} machines`);
  }
  const onRented = (leaseId, machine) => keeper?.onRented(leaseId, machine);
  if (plan.pools.settle) {
    world.settleLeases = await setupSettleLeases(api, { world, plan, keys, opts, facts, prices, log, onRented });
    await keeper?.flush(30_000);
  }
  if (plan.pools.bid) {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const closeAfter = Math.ceil((total * 2 + opts.duration * 1000) / blockMs) + opts.waitBlocks + 30;
    world.jobs = await setupJobs(api, { plan, keys, opts, facts, prices, jobLeaseBlocks: lease.jobLeaseBlocks, closeAfter, log });
    if (world.jobs.length < plan.pools.bid.jobs) {
      errors.push(`setup posted ${world.jobs.length} jobs of ${plan.pools.bid.jobs}: fewer bids are pre-signed`);
    }
  }
  const setupMs = Date.now() - setupStart;
  log(`setup done in ${(setupMs / 1000).toFixed(1)} s`);
  if (opts.setupOnly) {
    for (const [pool, machines] of Object.entries(world.machines)) {
      log(`${pool} pool: ${machines.length} machines, ids ${machines[0]?.id}..${machines[machines.length - 1]?.id}`);
    }
    if (world.settleLeases) log(`settle pool: ${world.settleLeases.length} open leases`);
    if (world.jobs) log(`jobs: ${world.jobs.length}`);
    return 0;
  }

  // ---- pre-signing (not timed)
  const presignStart = Date.now();
  const signed = await presign(api, { counts, world, plan, keys, opts, facts, prices, lease, anchor, blockMs, log });
  const presignMs = Date.now() - presignStart;
  for (const items of Object.values(signed.queues)) for (const item of items) tags.set(item.hash, item);

  // ---- measurement connections
  const connections = await Promise.all(Array.from({ length: opts.connections }, () => rawConnection(opts.url)));
  for (const c of connections) cleanups.push(() => c.disconnect());
  const observerRaw = await rawConnection(opts.url);
  cleanups.push(() => observerRaw.disconnect());
  let authorLog = null;
  if (opts.authorLogs.length) {
    authorLog = new AuthorLog(opts.authorLogs);
    try { await authorLog.start(); } catch (e) { throw new ChainError(`--author-log: ${e.message}`); }
    cleanups.push(() => authorLog.stop());
  }
  let importWatcher = null;
  if (opts.importUrl || opts.importLog || opts.importPrometheus) {
    const raw = opts.importUrl ? await rawConnection(opts.importUrl) : null;
    if (raw) cleanups.push(() => raw.disconnect());
    importWatcher = new ImportWatcher({ raw, logPath: opts.importLog, prometheus: opts.importPrometheus });
    await importWatcher.start();
    cleanups.push(() => importWatcher.stop());
  }
  const observer = new BlockObserver({
    api, raw: observerRaw, tags, log, onRented, authorPrometheus: opts.authorPrometheus,
  });
  const firstBest = await bestNumber(api);
  // The money audit starts from a block no reorganisation can replace.
  const auditFrom = opts.audit ? await api.rpc.chain.getFinalizedHead() : null;
  await observer.start(firstBest);
  cleanups.push(() => observer.stop());

  if (opts.kind === 'heartbeat' && signed.queues.heartbeat?.length) {
    const from = signed.queues.heartbeat[0].notBefore;
    log(`waiting for heartbeat window ${signed.firstWindow} (best block ${from})`);
    const deadline = Date.now() + (anchor.interval * 3 + 10) * blockMs + 30_000;
    while (observer.best < from && Date.now() < deadline) await sleep(100);
  }

  // ---- timed phase
  const queued = Object.values(signed.queues).reduce((n, q) => n + q.length, 0);
  log(`timed phase: ${queued} transactions at ${opts.rate}/s for at most ${opts.duration} s over ${opts.connections} connections`);
  const submitter = new Submitter({
    queues: signed.queues, pattern: signed.pattern, rate: opts.rate, concurrency: opts.concurrency,
    durationMs: opts.duration * 1000, connections, best: () => observer.best,
  });
  const submit = await submitter.run();
  log(`sent ${submit.sent} in ${(submit.sendingMs / 1000).toFixed(1)} s (${submit.stopReason}); waiting up to ${opts.waitBlocks} blocks for inclusion`);

  // ---- bounded wait for inclusion
  const waitStart = Date.now();
  const target = observer.best + opts.waitBlocks;
  const items = Object.values(signed.queues).flat();
  const accepted = items.filter((i) => i.status === 'accepted').length;
  const waitDeadline = Date.now() + (opts.waitBlocks + 3) * blockMs * 2 + 30_000;
  while (Date.now() < waitDeadline && observer.best < target) {
    if (items.filter((i) => i.status === 'accepted' && i.block !== undefined).length >= accepted && observer.analyzedTo >= observer.best) break;
    await sleep(250);
  }
  // The run's blocks end here; decoding a big block's events can take seconds, so allow 2 s a
  // block still to analyse (at most 30 min).
  const upTo = observer.queuedTo;
  observer.stop();
  const drainMs = Math.min(60_000 + 2_000 * (upTo - observer.analyzedTo), 1_800_000);
  if (!(await observer.drain(drainMs, upTo))) errors.push(`block analysis did not catch up within ${Math.round(drainMs / 1000)} s`);
  const replaced = await observer.verifyCanonical(60_000);
  if (replaced) log(`${replaced} blocks were replaced by a reorganisation and analysed again`);
  const lastBlock = Math.min(observer.analyzedTo, upTo);
  const waitMs = Date.now() - waitStart;
  if (plan.pools.settle && !opts.keepLeases) {
    try {
      await teardownSettleLeases(api, { world, plan, keys, opts, log });
    } catch (e) {
      errors.push(`teardown: ${e.message}`);
    }
  }
  keeper?.stop();
  if (authorLog) await authorLog.stop();
  if (importWatcher) await importWatcher.stop();
  errors.push(...observer.errors);

  // ---- report
  const attestationErrors = Object.fromEntries(Object.entries(api.errors.attestation ?? {})
    .map(([name, e]) => [e.meta.index.toNumber(), name]));
  const annotate = (reason) => (reason ?? 'unknown').replace(/Custom error: (\d+)/, (m, n) =>
    (attestationErrors[n] ? `${m} (attestation.${attestationErrors[n]}, for unsigned attestation calls)` : m));
  const weights = api.consts.system.blockWeights;
  const normalMax = weights.perClass.normal.maxTotal;
  const limits = {
    maxRefTime: Number(weights.maxBlock.refTime.toBigInt()),
    normalMaxRefTime: normalMax.isSome ? Number(normalMax.unwrap().refTime.toBigInt()) : null,
  };
  if (keeper) keeper.stats.rejected = Object.fromEntries(Object.entries(keeper.stats.rejected).map(([r, n]) => [annotate(r), n]));
  const report = buildReport({
    opts, chain, plan, startedAt, limits, annotate, observer, authorLog, importWatcher,
    queues: signed.queues,
    submit,
    keeper: keeper?.stats,
    firstBlock: firstBest + 1,
    lastBlock,
    timings: { setupMs, presignMs, signMs: signed.signMs, sendingMs: submit.sendingMs, waitMs, blockMs: Math.round(blockMs) },
    notes: [...(opts.notes ?? []), ...plan.notes],
    errors,
  });
  process.stdout.write(`${formatReport(report)}\n`);
  let audited = true;
  if (opts.audit) {
    // ...and ends at one finalized after the run's last block (or the best, if finality lags).
    const last = await bestNumber(api);
    const to = await waitFor('finality to reach the run\'s last block', async () => {
      const head = await api.rpc.chain.getFinalizedHead();
      return (await api.rpc.chain.getHeader(head)).number.toNumber() >= last ? head : null;
    }, 30 * blockMs + 30_000).catch(() => api.rpc.chain.getBlockHash(last));
    report.audit = await auditRange(api, auditFrom, to);
    const { blocks, events, accounts, moved, mismatches } = report.audit;
    audited = mismatches.length === 0;
    process.stdout.write(`money audit: ${blocks} blocks, ${events} balances events, ${accounts} accounts, ${moved} planck moved: ${
      audited ? 'every balance equals what the events say' : `${mismatches.length} accounts differ`}\n`);
    for (const m of mismatches) {
      process.stderr.write(`audit: ${m.who}: ${m.before} -> ${m.after}, but the events say +${m.into} -${m.out}\n`);
    }
  }
  if (opts.json) {
    writeFileSync(opts.json, toJson(report));
    log(`wrote ${opts.json}`);
  }
  const failures = expectationFailures(report, opts.expectLanded);
  for (const f of failures) process.stderr.write(`expectation failed: ${f}\n`);
  return failures.length || !audited ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`error: ${e instanceof ChainError || e instanceof AuditError ? e.message : e.stack ?? e}\n`);
  code = e instanceof UsageError ? 2 : 3;
}
await cleanup();
process.exit(code);
