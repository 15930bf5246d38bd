// What happened in each block: which of our transactions it included (by extrinsic hash), how
// each dispatched, what events they raised, the block's weight (`system.blockWeight` at that
// block, per dispatch class), when the block reached us and a second node, and how long its
// author took to build it and the second node to import it (logs, Prometheus).
import { blake2AsHex } from '@polkadot/util-crypto';
import { dispatchErrorName, withTimeout } from './chain.mjs';
import { fromHex } from './codec.mjs';
import { histogramDeltaMs, LogTail, METRICS, parseImportLine, parseProposalLine, PromPoller } from './metrics.mjs';

const IGNORED_EVENTS = new Set(['system.ExtrinsicSuccess', 'system.ExtrinsicFailed', 'transactionPayment.TransactionFeePaid',
  'balances.Withdraw', 'balances.Deposit', 'treasury.Deposit']);

/** `{ refTime, proofSize }` of a `Weight` codec, as numbers. */
function weightOf (w) {
  return { refTime: Number(w.refTime.toBigInt()), proofSize: Number(w.proofSize.toBigInt()) };
}

export class BlockObserver {
  /**
   * - `tags`: Map(extrinsic hash → entry) of the transactions to count; `entry.kind` names its
   *   kind ('rent', 'keeper', …) and the entry gets `block` and `dispatch` once it lands.
   * - `onRented(lease, machine)`: every `leases.Rented` seen; `onHead(number)`: every new best.
   */
  constructor ({ api, raw, tags, log, onRented = () => {}, onHead = () => {}, authorPrometheus }) {
    this.api = api;
    this.raw = raw;
    this.tags = tags;
    this.log = log;
    this.onRented = onRented;
    this.onHead = onHead;
    this.blocks = new Map();
    this.arrivals = new Map();
    this.authorTimes = new Map();
    this.best = 0;
    this.analyzedTo = null;
    this.queuedTo = null;
    this.errors = [];
    // One per author (every validator of a network): each head, their histograms' growth since
    // the previous head is that block's build time.
    this.authorProms = (authorPrometheus ?? []).map((url) => ({ url, poller: new PromPoller(url, [METRICS.blockConstructed]), last: null }));
  }

  /** Follows new best blocks from now; blocks after `from` are analysed. */
  async start (from) {
    this.analyzedTo = from;
    this.queuedTo = from;
    this.best = from;
    for (const a of this.authorProms) a.last = await a.poller.sample();
    this.unsubscribe = await this.api.rpc.chain.subscribeNewHeads((header) => {
      const n = header.number.toNumber();
      if (!this.arrivals.has(n)) this.arrivals.set(n, Date.now());
      if (n > this.best) this.best = n;
      try { this.onHead(n); } catch (e) { this.errors.push(`onHead: ${e.message}`); }
      if (this.authorProms.length) this.sampleAuthors(n);
      if (n > this.queuedTo) {
        this.queuedTo = n;
        this.pump();
      }
    });
    return this;
  }

  async sampleAuthors (n) {
    let sum = 0;
    let observations = 0;
    await Promise.all(this.authorProms.map(async (a) => {
      const sample = await a.poller.sample();
      if (!sample) return;
      const built = histogramDeltaMs(a.last?.[METRICS.blockConstructed], sample[METRICS.blockConstructed]);
      a.last = sample;
      if (built) { sum += built.ms * built.observations; observations += built.observations; }
    }));
    // One observation since the last head is this block's; more (a missed head) give a mean.
    if (observations === 1) this.authorTimes.set(n, { builtMs: sum, source: 'prometheus' });
    else if (observations > 1) this.authorTimes.set(n, { builtMs: sum / observations, source: `prometheus mean of ${observations}` });
  }

  /** Analyses queued blocks one after another; a failure is recorded, not fatal. */
  async pump () {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.analyzedTo < this.queuedTo) {
        const n = this.analyzedTo + 1;
        try {
          this.blocks.set(n, await withTimeout(this.analyze(n), 60_000, `analysing block ${n}`));
        } catch (e) {
          this.errors.push(`block ${n}: ${e.message}`);
          this.blocks.set(n, { number: n, error: e.message });
        }
        this.analyzedTo = n;
      }
    } finally {
      this.pumping = false;
    }
  }

  async analyze (n, knownHash) {
    const hash = knownHash ?? await this.raw.send('chain_getBlockHash', [n]);
    if (!hash) throw new Error('no such block yet');
    const signed = await this.raw.send('chain_getBlock', [hash]);
    const extrinsics = signed.block.extrinsics;
    const hashes = extrinsics.map((x) => blake2AsHex(fromHex(x), 256));
    const entries = hashes.map((h) => this.tags.get(h));
    const tagsAt = entries.map((e) => e?.kind);
    const at = await this.api.at(hash);
    const [events, weight] = await Promise.all([at.query.system.events(), at.query.system.blockWeight()]);
    const ok = new Map();
    const failed = new Map();
    const outcomes = new Map();
    for (const { phase, event } of events) {
      const key = `${event.section}.${event.method}`;
      if (key === 'leases.Rented') this.onRented(event.data.lease.toNumber(), event.data.machine.toNumber());
      if (!phase.isApplyExtrinsic) continue;
      const index = phase.asApplyExtrinsic.toNumber();
      if (tagsAt[index] === undefined) continue;
      if (key === 'system.ExtrinsicSuccess') ok.set(index, true);
      else if (key === 'system.ExtrinsicFailed') failed.set(index, dispatchErrorName(this.api, event.data.dispatchError ?? event.data[0]));
      else if (!IGNORED_EVENTS.has(key)) outcomes.set(index, [...(outcomes.get(index) ?? []), key]);
    }
    const byTag = {};
    tagsAt.forEach((tag, index) => {
      if (tag === undefined) return;
      const k = byTag[tag] ??= { included: 0, ok: 0, failed: 0, errors: {}, outcomes: {} };
      k.included++;
      // The entry (a queue item, or a keeper record) learns where it landed and how it went.
      const entry = entries[index];
      entry.block = n;
      if (ok.has(index)) { k.ok++; entry.dispatch = 'ok'; }
      if (failed.has(index)) {
        k.failed++;
        k.errors[failed.get(index)] = (k.errors[failed.get(index)] ?? 0) + 1;
        entry.dispatch = failed.get(index);
      }
      for (const o of outcomes.get(index) ?? []) k.outcomes[o] = (k.outcomes[o] ?? 0) + 1;
    });
    return {
      number: n,
      hash,
      extrinsics: extrinsics.length,
      byTag,
      tagged: hashes.filter((h, i) => tagsAt[i] !== undefined),
      weight: { normal: weightOf(weight.normal), operational: weightOf(weight.operational), mandatory: weightOf(weight.mandatory) },
    };
  }

  /** Waits, at most `timeoutMs`, until every block up to `upTo` (the best seen) is analysed. */
  async drain (timeoutMs, upTo = this.queuedTo) {
    const deadline = Date.now() + timeoutMs;
    while (this.analyzedTo < upTo && Date.now() < deadline) {
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.analyzedTo >= upTo;
  }

  /** Re-reads every analysed block's canonical hash; re-analyses those a reorg replaced. */
  async verifyCanonical (timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let replaced = 0;
    for (const [n, block] of [...this.blocks.entries()].sort((a, b) => a[0] - b[0])) {
      if (Date.now() > deadline) { this.errors.push('canonical check timed out'); break; }
      try {
        const hash = await this.raw.send('chain_getBlockHash', [n]);
        if (hash && hash !== block.hash) {
          // What the replaced block held may not be in the new one.
          for (const h of block.tagged ?? []) {
            const entry = this.tags.get(h);
            if (entry?.block === n) { delete entry.block; delete entry.dispatch; }
          }
          this.blocks.set(n, await withTimeout(this.analyze(n, hash), 60_000, `re-analysing block ${n}`));
          replaced++;
        }
      } catch (e) {
        this.errors.push(`canonical check of ${n}: ${e.message}`);
      }
    }
    return replaced;
  }

  /** How many of our transactions the analysed blocks hold (for "all landed?" checks). */
  includedCount (tagFilter = () => true) {
    let n = 0;
    for (const b of this.blocks.values()) {
      for (const [tag, k] of Object.entries(b.byTag ?? {})) if (tagFilter(tag)) n += k.included;
    }
    return n;
  }

  stop () {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/**
 * Authors' "Prepared block for proposing" lines, by block number, from one log per validator.
 * A proposal that lost a slot race may share a number with the canonical block: the later line
 * wins, which is usually, not always, the canonical one.
 */
export class AuthorLog {
  constructor (paths) {
    this.byNumber = new Map();
    this.tails = paths.map((path) => new LogTail(path, (line) => {
      const p = parseProposalLine(line);
      if (p) this.byNumber.set(p.number, { ...p, log: path });
    }));
  }

  async start () {
    for (const tail of this.tails) await tail.start();
    return this;
  }

  async stop () {
    for (const tail of this.tails) await tail.stop();
  }
}

/** A second node: when each block reaches it (heads), its log's import lines, its import histogram. */
export class ImportWatcher {
  constructor ({ raw, logPath, prometheus }) {
    this.raw = raw;
    this.arrivals = new Map();
    this.logTimes = new Map();
    this.importMs = new Map();
    this.errors = [];
    if (logPath) {
      this.tail = new LogTail(logPath, (line) => {
        const p = parseImportLine(line);
        if (p && !this.logTimes.has(p.number)) this.logTimes.set(p.number, p);
      });
    }
    this.prom = prometheus ? new PromPoller(prometheus, [METRICS.importTime]) : null;
    this.last = null;
    this.lastBest = null;
  }

  async start () {
    if (this.tail) await this.tail.start();
    if (this.prom) this.last = await this.prom.sample();
    if (this.raw) {
      this.subscription = await this.raw.subscribe('chain_newHead', 'chain_subscribeNewHeads', [], (error, header) => {
        if (error || !header) return;
        const n = parseInt(header.number, 16);
        if (!this.arrivals.has(n)) this.arrivals.set(n, Date.now());
        if (this.prom) this.sample(n);
      });
    }
    return this;
  }

  async sample (n) {
    const sample = await this.prom.sample();
    if (!sample) return;
    const delta = histogramDeltaMs(this.last?.[METRICS.importTime], sample[METRICS.importTime]);
    const blocks = this.lastBest === null ? 1 : n - this.lastBest;
    this.last = sample;
    this.lastBest = n;
    if (delta) this.importMs.set(n, { ms: delta.ms, exact: blocks === 1 && delta.observations === 1, observations: delta.observations });
  }

  async stop () {
    if (this.subscription !== undefined) {
      await this.raw.unsubscribe('chain_newHead', 'chain_unsubscribeNewHeads', this.subscription).catch(() => {});
    }
    if (this.tail) await this.tail.stop();
  }
}
