// Results: per block (what landed, block weight, build and import times) and per kind (what
// was sent, refused by the pool and why, included, dispatched, failed and why), as a table,
// a summary and JSON; and the --expect-landed verdict. Pure: it reads what the run collected.
import { stats } from './metrics.mjs';

const PS_PER_MS = 1e9;
const KIND_LETTER = { transfer: 'T', rent: 'R', heartbeat: 'H', placeOrder: 'O', bid: 'B', settle: 'S' };

const count = (map, key, by = 1) => { map[key] = (map[key] ?? 0) + by; };
const sortedCounts = (map) => Object.entries(map).sort((a, b) => b[1] - a[1]);
const round = (x, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

/** Per-kind totals from the queue items (each has status, error, block, dispatch, sentWall). */
export function summarizeKind (items, { blockArrival, annotate = (r) => r } = {}) {
  const s = { presigned: items.length, sent: 0, accepted: 0, rejected: 0, expired: 0, unsent: 0, unanswered: 0,
    included: 0, landed: 0, failed: 0, rejections: {}, failures: {}, includedNotAccepted: 0 };
  const latencies = [];
  const submitMs = [];
  for (const item of items) {
    switch (item.status) {
      case 'accepted': s.sent++; s.accepted++; break;
      case 'rejected': s.sent++; s.rejected++; count(s.rejections, annotate(item.error, item.kind)); break;
      case 'pending': s.sent++; s.unanswered++; break;
      case 'expired': s.expired++; break;
      default: s.unsent++;
    }
    if (item.latencyMs !== undefined) submitMs.push(item.latencyMs);
    if (item.block !== undefined) {
      s.included++;
      if (item.status !== 'accepted') s.includedNotAccepted++;
      if (item.dispatch === 'ok') s.landed++;
      else if (item.dispatch) { s.failed++; count(s.failures, item.dispatch); }
      const arrived = blockArrival?.(item.block);
      if (arrived && item.sentWall) latencies.push(arrived - item.sentWall);
    }
  }
  s.acceptedNotIncluded = Math.max(0, s.accepted - (s.included - s.includedNotAccepted));
  s.inclusionLatencyMs = stats(latencies);
  s.submitRpcMs = stats(submitMs);
  return s;
}

/**
 * The whole report. `run`: { opts, chain, plan, timings, queues, submit, observer, authorLog,
 * importWatcher, keeper, firstBlock, lastBlock, limits, annotate, notes }.
 */
export function buildReport (run) {
  const { opts, observer, queues, firstBlock, lastBlock, limits } = run;
  const kinds = Object.keys(queues);
  const blockArrival = (n) => observer.arrivals.get(n);
  const perKind = Object.fromEntries(kinds.map((k) => [k, summarizeKind(queues[k], { blockArrival, annotate: run.annotate })]));

  // Block-level outcomes (events) per kind, and the sent count per best block.
  const sentAt = new Map();
  for (const items of Object.values(queues)) for (const item of items) if (item.sentBest !== undefined) sentAt.set(item.sentBest, (sentAt.get(item.sentBest) ?? 0) + 1);
  const outcomes = Object.fromEntries(kinds.map((k) => [k, {}]));
  const blocks = [];
  for (let n = firstBlock; n <= lastBlock; n++) {
    const b = observer.blocks.get(n);
    const author = run.authorLog?.byNumber.get(n);
    const prom = observer.authorTimes.get(n);
    const imp = run.importWatcher;
    const row = {
      number: n,
      error: b?.error ?? (b ? undefined : 'not analysed'),
      extrinsics: b?.extrinsics ?? null,
      sent: sentAt.get(n) ?? 0,
      kinds: {},
      included: 0, landed: 0, failed: 0, keeper: 0,
    };
    for (const [tag, k] of Object.entries(b?.byTag ?? {})) {
      if (tag === 'keeper') { row.keeper += k.included; continue; }
      row.kinds[tag] = { included: k.included, landed: k.ok, failed: k.failed, errors: k.errors };
      row.included += k.included;
      row.landed += k.ok;
      row.failed += k.failed;
      for (const [o, c] of Object.entries(k.outcomes)) count(outcomes[tag] ??= {}, o, c);
    }
    if (b?.weight) {
      const w = b.weight;
      const all = w.normal.refTime + w.operational.refTime + w.mandatory.refTime;
      row.weight = {
        refTimeMs: round(all / PS_PER_MS, 2),
        refTimePct: limits?.maxRefTime ? round((100 * all) / limits.maxRefTime, 1) : null,
        normalRefTimeMs: round(w.normal.refTime / PS_PER_MS, 2),
        normalRefTimePct: limits?.normalMaxRefTime ? round((100 * w.normal.refTime) / limits.normalMaxRefTime, 1) : null,
        proofKiB: round((w.normal.proofSize + w.operational.proofSize + w.mandatory.proofSize) / 1024, 1),
        normalProofKiB: round(w.normal.proofSize / 1024, 1),
        raw: w,
      };
    }
    if (author) row.production = { ms: author.ms, source: 'log', extrinsics: author.extrinsics, end: author.end };
    else if (prom) row.production = { ms: round(prom.builtMs, 1), source: prom.source };
    if (imp) {
      const at = imp.arrivals.get(n);
      const here = observer.arrivals.get(n);
      const ms = imp.importMs.get(n);
      const logged = imp.logTimes.get(n);
      row.import = {
        ms: ms ? round(ms.ms, 1) : null,
        exact: ms?.exact ?? null,
        arrivalLagMs: at && here ? at - here : null,
        logLagS: logged?.time && author?.time ? round((logged.time - author.time) / 1000, 3) : null,
        logMs: logged?.ms ?? null,
      };
    }
    blocks.push(row);
  }

  // Throughput over the blocks that included anything of the run.
  const withTx = blocks.filter((b) => b.included > 0);
  const span = withTx.length ? [withTx[0].number, withTx[withTx.length - 1].number] : null;
  let perSecond = null;
  if (span) {
    const t0 = observer.arrivals.get(span[0] - 1) ?? observer.arrivals.get(span[0]);
    const t1 = observer.arrivals.get(span[1]);
    const included = withTx.reduce((n, b) => n + b.included, 0);
    if (t0 && t1 && t1 > t0) perSecond = round((included * 1000) / (t1 - t0), 1);
  }
  const keeperIncluded = blocks.reduce((n, b) => n + b.keeper, 0);
  return {
    tool: 'gpux-load',
    startedAt: run.startedAt,
    args: { ...opts, funders: opts.funders, era: opts.era },
    chain: run.chain,
    plan: run.plan,
    timings: run.timings,
    submission: run.submit,
    kinds: Object.fromEntries(kinds.map((k) => [k, { ...perKind[k], outcomes: outcomes[k] ?? {} }])),
    totals: {
      blocks: blocks.length,
      firstBlock, lastBlock,
      includedSpan: span,
      includedPerSecond: perSecond,
      includedPerBlock: stats(blocks.map((b) => b.included)),
      normalRefTimePct: stats(blocks.map((b) => b.weight?.normalRefTimePct)),
      refTimeMs: stats(blocks.map((b) => b.weight?.refTimeMs)),
      proofKiB: stats(blocks.map((b) => b.weight?.proofKiB)),
      productionMs: stats(blocks.map((b) => b.production?.ms)),
      importMs: stats(blocks.map((b) => b.import?.ms)),
      arrivalLagMs: stats(blocks.map((b) => b.import?.arrivalLagMs)),
    },
    keeper: run.keeper ? { ...run.keeper, included: keeperIncluded } : null,
    notes: run.notes ?? [],
    errors: run.errors ?? [],
    blocks,
  };
}

/** Kinds (each part of a mix) that landed fewer than `min`; [] when all did or `min` is 0. */
export function expectationFailures (report, min) {
  if (!min) return [];
  return Object.entries(report.kinds)
    .filter(([, k]) => k.landed < min)
    .map(([kind, k]) => `${kind}: ${k.landed} landed, --expect-landed ${min}`);
}

function pad (value, width, left = false) {
  const text = value === null || value === undefined ? '-' : String(value);
  return left ? text.padEnd(width) : text.padStart(width);
}

const fmtStats = (s, unit = '') => (s ? `mean ${round(s.mean, 1)}${unit}, p50 ${round(s.p50, 1)}${unit}, p95 ${round(s.p95, 1)}${unit}, max ${round(s.max, 1)}${unit} (n=${s.n})` : 'n/a');

/** The per-block table and the summary, as text. */
export function formatReport (report) {
  const lines = [];
  const hasProd = report.blocks.some((b) => b.production);
  const hasImport = report.blocks.some((b) => b.import);
  const several = Object.keys(report.kinds).length > 1;
  const header = [pad('block', 8), pad('ext', 6), pad('sent', 6), pad('incl', 6), pad('ok', 6), pad('fail', 5),
    pad('keep', 5), pad('ref ms', 8), pad('n.ref ms', 8), pad('n.ref%', 7), pad('proofKiB', 9), pad('n.proofKiB', 10)];
  if (hasProd) header.push(pad('build ms', 9));
  if (hasImport) header.push(pad('imp ms', 7), pad('lag ms', 7));
  if (several) header.push(` included by kind (${Object.keys(report.kinds).map((k) => `${KIND_LETTER[k] ?? k}=${k}`).join(' ')})`);
  lines.push(header.join(' '));
  for (const b of report.blocks) {
    const row = [pad(b.number, 8), pad(b.extrinsics, 6), pad(b.sent, 6), pad(b.included, 6), pad(b.landed, 6), pad(b.failed, 5),
      pad(b.keeper, 5), pad(b.weight?.refTimeMs, 8), pad(b.weight?.normalRefTimeMs, 8), pad(b.weight?.normalRefTimePct, 7),
      pad(b.weight?.proofKiB, 9), pad(b.weight?.normalProofKiB, 10)];
    if (hasProd) row.push(pad(b.production?.ms, 9));
    if (hasImport) row.push(pad(b.import?.ms, 7), pad(b.import?.arrivalLagMs, 7));
    if (several) row.push(` ${Object.entries(b.kinds).map(([k, v]) => `${KIND_LETTER[k] ?? k}${v.included}`).join(' ')}`);
    if (b.error) row.push(` ! ${b.error}`);
    lines.push(row.join(' '));
  }
  lines.push('');
  const a = report.args;
  lines.push(`== ${a.kind}: ${a.count} tx at ${a.rate}/s for at most ${a.duration} s on ${report.chain?.name ?? '?'} (spec ${report.chain?.specVersion ?? '?'}) via ${a.url}`);
  if (report.timings) {
    const t = report.timings;
    lines.push(`setup ${round(t.setupMs / 1000, 1)} s; pre-signing ${round(t.presignMs / 1000, 1)} s; submission ${round(t.sendingMs / 1000, 1)} s (${report.submission?.stopReason ?? '?'}); wait ${round(t.waitMs / 1000, 1)} s`);
  }
  for (const [kind, k] of Object.entries(report.kinds)) {
    lines.push(`-- ${kind}: presigned ${k.presigned}, sent ${k.sent}, pool accepted ${k.accepted}, refused ${k.rejected}` +
      `${k.expired ? `, window passed ${k.expired}` : ''}${k.unsent ? `, not sent ${k.unsent}` : ''}${k.unanswered ? `, unanswered ${k.unanswered}` : ''}`);
    lines.push(`   included ${k.included} (landed ${k.landed}, failed ${k.failed}); accepted but not included ${k.acceptedNotIncluded}`);
    for (const [reason, n] of sortedCounts(k.rejections).slice(0, 10)) lines.push(`   refused ${n}× ${reason}`);
    for (const [error, n] of sortedCounts(k.failures).slice(0, 10)) lines.push(`   failed ${n}× ${error}`);
    const outcomes = sortedCounts(k.outcomes).slice(0, 6).map(([e, n]) => `${e} ${n}`).join(', ');
    if (outcomes) lines.push(`   events: ${outcomes}`);
    lines.push(`   submit RPC ms: ${fmtStats(k.submitRpcMs)}`);
    lines.push(`   sent → block arrival ms: ${fmtStats(k.inclusionLatencyMs)}`);
  }
  const t = report.totals;
  lines.push(`-- blocks ${t.firstBlock}..${t.lastBlock}: ${t.includedSpan ? `included in ${t.includedSpan[0]}..${t.includedSpan[1]}, ${t.includedPerSecond ?? '?'} tx/s` : 'nothing included'}`);
  lines.push(`   included per block: ${fmtStats(t.includedPerBlock)}`);
  lines.push(`   normal ref time % of its limit: ${fmtStats(t.normalRefTimePct, '%')}`);
  lines.push(`   ref time all classes ms: ${fmtStats(t.refTimeMs)}; proof KiB: ${fmtStats(t.proofKiB)}`);
  if (t.productionMs) lines.push(`   block build ms (author): ${fmtStats(t.productionMs)}`);
  if (t.importMs) lines.push(`   block import ms (second node): ${fmtStats(t.importMs)}`);
  if (t.arrivalLagMs) lines.push(`   second node sees blocks later by ms: ${fmtStats(t.arrivalLagMs)}`);
  if (report.keeper) {
    const k = report.keeper;
    lines.push(`-- keeper: ${k.heartbeats} heartbeats over ${k.windows} windows, ${k.attestations} start attestations; pool accepted ${k.accepted}, included ${k.included}`);
    for (const [reason, n] of sortedCounts(k.rejected).slice(0, 5)) lines.push(`   refused ${n}× ${reason}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  for (const error of report.errors.slice(0, 20)) lines.push(`error: ${error}`);
  return lines.join('\n');
}

/** JSON with bigints as strings. */
export function toJson (report) {
  return JSON.stringify(report, (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Set ? [...v] : v), 2);
}
