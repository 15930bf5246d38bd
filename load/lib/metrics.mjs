// Measurements from outside the chain: node log lines, Prometheus histograms, and summary
// statistics. Parsers are pure; LogTail and PromPoller read a file or a loopback URL, each
// read bounded in size and time.
import { open, stat } from 'node:fs/promises';

/** Metric names (polkadot-sdk: sc-proposer-metrics, sc-consensus import queue). */
export const METRICS = Object.freeze({
  blockConstructed: 'substrate_proposer_block_constructed', // histogram, seconds
  blockProposalTime: 'substrate_proposer_block_proposal_time', // histogram, seconds
  numberOfTransactions: 'substrate_proposer_number_of_transactions', // gauge
  importTime: 'substrate_block_verification_and_import_time', // histogram, seconds
});

const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex

/** A substrate log line's leading local timestamp (`2025-01-17 20:42:40[.123]`) in ms. */
export function parseLogTime (line) {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(line.replace(ANSI, ''));
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms).getTime();
}

/**
 * The author's "🎁 Prepared block for proposing at N (X ms) …" line, in the older
 * `[hash: …; extrinsics (K): […]` and the newer `hash: …; end: R; extrinsics_count: K` forms.
 */
export function parseProposalLine (line) {
  const clean = line.replace(ANSI, '');
  const m = /Prepared block for proposing at (\d+) \((\d+) ms\)/.exec(clean);
  if (!m) return null;
  const out = { number: Number(m[1]), ms: Number(m[2]), time: parseLogTime(clean) };
  const count = /extrinsics \((\d+)\)/.exec(clean) ?? /extrinsics_count: (\d+)/.exec(clean);
  if (count) out.extrinsics = Number(count[1]);
  else if (/no extrinsics/.test(clean)) out.extrinsics = 0;
  const end = /end: ([A-Za-z]+)/.exec(clean);
  if (end) out.end = end[1];
  return out;
}

/** An importing node's "Imported #N" line (informant), with any "(X ms)" timing on it. */
export function parseImportLine (line) {
  const clean = line.replace(ANSI, '');
  const m = /Imported #(\d+)/.exec(clean);
  if (!m) return null;
  const out = { number: Number(m[1]), time: parseLogTime(clean) };
  const ms = /\((\d+(?:\.\d+)?) ?ms\)/.exec(clean);
  if (ms) out.ms = Number(ms[1]);
  return out;
}

/** Prometheus text exposition → Map(name → [{ labels, value }]). Comments are skipped. */
export function parsePrometheus (text) {
  const out = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      for (const [, k, v] of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (!out.has(m[1])) out.set(m[1], []);
    out.get(m[1]).push({ labels, value });
  }
  return out;
}

/** A histogram's `_sum` and `_count`, summed over its label sets; null if absent. */
export function histogramTotals (samples, name) {
  const sum = samples.get(`${name}_sum`);
  const count = samples.get(`${name}_count`);
  if (!sum || !count) return null;
  return {
    sum: sum.reduce((a, s) => a + s.value, 0),
    count: count.reduce((a, s) => a + s.value, 0),
  };
}

/** The mean of the observations between two samples of a histogram, in ms; null if none. */
export function histogramDeltaMs (before, after) {
  if (!before || !after) return null;
  const count = after.count - before.count;
  if (count <= 0) return null;
  return { ms: ((after.sum - before.sum) / count) * 1000, observations: count };
}

/** Count, mean, min, p50, p95, max of finite numbers; null when there are none. */
export function stats (values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return {
    n: v.length,
    mean: v.reduce((a, b) => a + b, 0) / v.length,
    min: v[0],
    p50: at(0.5),
    p95: at(0.95),
    max: v[v.length - 1],
  };
}

/**
 * Follows a growing log file from its current end, handing each complete new line to
 * `onLine`. Polls every `everyMs`; reads at most `maxChunk` bytes a poll; starts over if the
 * file shrinks (rotated). `stop()` ends it.
 */
export class LogTail {
  constructor (path, onLine, { everyMs = 250, maxChunk = 4 << 20 } = {}) {
    this.path = path;
    this.onLine = onLine;
    this.everyMs = everyMs;
    this.maxChunk = maxChunk;
    this.offset = 0;
    this.partial = '';
    this.timer = null;
    this.errors = 0;
    this.lastError = null;
  }

  async start () {
    this.offset = (await stat(this.path)).size; // throws if missing: the caller reports it
    this.timer = setInterval(() => { this.poll().catch((e) => { this.errors++; this.lastError = e.message; }); }, this.everyMs);
    return this;
  }

  async poll () {
    if (this.busy) return;
    this.busy = true;
    try {
      const { size } = await stat(this.path);
      if (size < this.offset) { this.offset = 0; this.partial = ''; }
      if (size === this.offset) return;
      const length = Math.min(size - this.offset, this.maxChunk);
      const handle = await open(this.path, 'r');
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
        this.offset += bytesRead;
        const text = this.partial + buffer.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        this.partial = lines.pop();
        if (this.partial.length > 1 << 20) this.partial = ''; // no line is that long
        for (const line of lines) this.onLine(line);
      } finally {
        await handle.close();
      }
    } finally {
      this.busy = false;
    }
  }

  /** Reads what is left (bounded by a few polls), then stops. */
  async stop () {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (let i = 0; i < 4; i++) {
      try { await this.poll(); } catch (e) { this.errors++; this.lastError = e.message; }
    }
  }
}

/** Samples histograms from a loopback Prometheus endpoint, each fetch bounded by `timeoutMs`. */
export class PromPoller {
  constructor (url, names, { timeoutMs = 2000 } = {}) {
    this.url = url;
    this.names = names;
    this.timeoutMs = timeoutMs;
    this.errors = 0;
    this.lastError = null;
  }

  /** { name: { sum, count } | null } now, or null if the endpoint did not answer. */
  async sample () {
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const samples = parsePrometheus(await response.text());
      return Object.fromEntries(this.names.map((name) => [name, histogramTotals(samples, name)]));
    } catch (e) {
      this.errors++;
      this.lastError = e.message;
      return null;
    }
  }
}
