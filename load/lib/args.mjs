// Command-line arguments: parsed strictly, every number range-checked, every URL loopback-only.
// A bad argument is a `UsageError`; load.mjs prints it with the usage and exits 2.
import { parseArgs as nodeParseArgs } from 'node:util';
import { MIX_DEFAULT, parseMix } from './plan.mjs';

export const LIMITS = Object.freeze({ count: 100_000, duration: 3600, rate: 20_000 });
export const KINDS = Object.freeze(['transfer', 'rent', 'heartbeat', 'placeOrder', 'bid', 'settle', 'mix']);
export const LOOPBACK_HOSTS = Object.freeze(['127.0.0.1', '::1', '[::1]', 'localhost']);
/** `--quick` refuses runs bigger than this: it is meant for CI smoke runs. */
export const QUICK_LIMITS = Object.freeze({ count: 2_000, duration: 300 });

export class UsageError extends Error {}

export const USAGE = `usage: node load.mjs --kind KIND --count N --duration S --rate R [options]

required:
  --kind KIND             ${KINDS.join(' | ')}
  --count N               transactions to pre-sign and submit, 1..${LIMITS.count}
  --duration S            most seconds to submit for, 1..${LIMITS.duration}
  --rate R                submissions per second, 1..${LIMITS.rate}

node and measurements (every URL must be on loopback: 127.0.0.1, ::1 or localhost):
  --url WS                node to set up, submit to and read blocks from [ws://127.0.0.1:9944]
  --connections N         WebSocket connections submissions are spread over, 1..16 [2]
  --concurrency N         most submissions awaiting the node's answer, 1..4096 [256]
  --author-log FILES      block authors' logs, comma-separated (on a network, every validator's):
                          "Prepared block for proposing at N (X ms)"
  --author-prometheus URLS  authors' Prometheus endpoints, comma-separated
                          (substrate_proposer_block_constructed)
  --import-url WS         a second node (validator): when each block reaches it
  --import-log FILE       its log: the "Imported #N" lines (time of import)
  --import-prometheus URL its Prometheus endpoint (substrate_block_verification_and_import_time)
  --wait-blocks N         blocks to wait for inclusion after the last submission, 0..200 [10]
  --json FILE             also write the results as JSON

transactions:
  --per-sender N          pre-signed transactions per sending account, 1..10000 [8]
  --era immortal|P        immortal, or mortal for P blocks (a power of two, 16..2048) [immortal]
  --lease-blocks N        duration of each rent / order lease, 10..14400 [20]
  --settle-leases N       leases opened in setup for settle to settle, 1..4096 [256]
  --mix SPEC              shares of mix [${Object.entries(MIX_DEFAULT).map(([k, v]) => `${k}=${v}`).join(',')}]
  --expect-landed N       exit 1 unless at least N of each kind (each part of a mix) landed:
                          included in a block and dispatched without error, 0..${LIMITS.count} [0]
  --audit                 after the run, audit the money of its blocks (the timed phase to the
                          end of the teardown): every account's free + reserved balance must
                          equal its balance before plus what the balances events moved; exit 1
                          on any difference (3 on an event the audit does not know)

setup (not timed):
  --seed TEXT             derives every account and worker key; the same seed reuses a
                          previous run's providers, machines and leases [gpux-load]
  --funders URIS          comma-separated dev URIs that pay for setup
                          [//Alice,//Bob,//Charlie,//Dave,//Eve,//Ferdie]
  --fund-mode MODE        auto | sudo | transfer: sudo sets balances through the sudo key (dev
                          chain), transfer pays from the funders; auto picks sudo if a funder
                          holds the sudo key [auto]
  --setup-batch N         calls per utility.batchAll in setup, 1..256 [32]
  --keeper MODE           auto | on | off: send heartbeats and lease-start attestations for the
                          machines that leases run on, so the chain does not fault them [auto]
  --setup-only            run the setup and stop
  --keep-leases           leave the settle pool's leases open at the end (they are terminated
                          by default: with no keeper running the chain would fault them)
  --quick                 CI smoke run: at most ${QUICK_LIMITS.count} transactions and ${QUICK_LIMITS.duration} s,
                          --wait-blocks 5, --settle-leases 32, --expect-landed 1 unless given
  -h, --help              this text

exit status: 0 done; 1 an --expect-landed check or the --audit failed; 2 bad arguments;
             3 the chain could not be reached, set up or measured`;

const OPTIONS = {
  kind: { type: 'string' },
  count: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  url: { type: 'string' },
  connections: { type: 'string' },
  concurrency: { type: 'string' },
  'author-log': { type: 'string' },
  'author-prometheus': { type: 'string' },
  'import-url': { type: 'string' },
  'import-log': { type: 'string' },
  'import-prometheus': { type: 'string' },
  'wait-blocks': { type: 'string' },
  json: { type: 'string' },
  'per-sender': { type: 'string' },
  era: { type: 'string' },
  'lease-blocks': { type: 'string' },
  'settle-leases': { type: 'string' },
  mix: { type: 'string' },
  'expect-landed': { type: 'string' },
  seed: { type: 'string' },
  funders: { type: 'string' },
  'fund-mode': { type: 'string' },
  'setup-batch': { type: 'string' },
  keeper: { type: 'string' },
  'setup-only': { type: 'boolean' },
  'keep-leases': { type: 'boolean' },
  audit: { type: 'boolean' },
  quick: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** An integer flag within [min, max]; `fallback` if absent, or a UsageError naming it. */
export function intFlag (values, name, min, max, fallback) {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required (${min}..${max})`);
    return fallback;
  }
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be within ${min}..${max}, got ${raw}`);
  }
  return value;
}

/**
 * `text` as a URL whose host is loopback and whose scheme is one of `schemes`; a UsageError
 * naming `flag` otherwise. This tool never talks to anything but this machine.
 */
export function loopbackUrl (text, flag, schemes) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag}: "${text}" is not a URL`);
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ''))) {
    throw new UsageError(`${flag}: scheme must be ${schemes.join(' or ')}, got ${url.protocol}`);
  }
  if (!LOOPBACK_HOSTS.includes(url.hostname)) {
    throw new UsageError(`${flag}: refusing non-loopback host "${url.hostname}" (allowed: 127.0.0.1, ::1, localhost)`);
  }
  if (url.username || url.password) throw new UsageError(`${flag}: credentials in the URL are not accepted`);
  // A Prometheus endpoint given as host:port means its /metrics.
  if (url.protocol.startsWith('http') && url.pathname === '/') url.pathname = '/metrics';
  return url.pathname === '/' && !url.search && !url.hash ? url.href.slice(0, -1) : url.href;
}

/** Parses `argv` (without node and the script). Returns the options, or `{ help: true }`. */
export function parseArgs (argv) {
  let parsed;
  try {
    parsed = nodeParseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const v = parsed.values;
  if (v.help) return { help: true };

  const missing = ['kind', 'count', 'duration', 'rate'].filter((name) => v[name] === undefined);
  if (missing.length) throw new UsageError(`missing required ${missing.map((m) => `--${m}`).join(', ')}`);
  if (!KINDS.includes(v.kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}, got "${v.kind}"`);

  const quick = Boolean(v.quick);
  const opts = {
    kind: v.kind,
    count: intFlag(v, 'count', 1, LIMITS.count),
    duration: intFlag(v, 'duration', 1, LIMITS.duration),
    rate: intFlag(v, 'rate', 1, LIMITS.rate),
    url: loopbackUrl(v.url ?? 'ws://127.0.0.1:9944', '--url', ['ws', 'wss']),
    connections: intFlag(v, 'connections', 1, 16, 2),
    concurrency: intFlag(v, 'concurrency', 1, 4096, 256),
    authorLogs: list(v['author-log']),
    authorPrometheus: list(v['author-prometheus']).map((u) => loopbackUrl(u, '--author-prometheus', ['http', 'https'])),
    importUrl: v['import-url'] && loopbackUrl(v['import-url'], '--import-url', ['ws', 'wss']),
    importLog: v['import-log'],
    importPrometheus: v['import-prometheus'] && loopbackUrl(v['import-prometheus'], '--import-prometheus', ['http', 'https']),
    waitBlocks: intFlag(v, 'wait-blocks', 0, 200, quick ? 5 : 10),
    json: v.json,
    perSender: intFlag(v, 'per-sender', 1, 10_000, 8),
    era: parseEra(v.era ?? 'immortal'),
    leaseBlocks: intFlag(v, 'lease-blocks', 10, 14_400, 20),
    settleLeases: intFlag(v, 'settle-leases', 1, 4096, quick ? 32 : 256),
    mix: parseMixFlag(v.mix),
    expectLanded: intFlag(v, 'expect-landed', 0, LIMITS.count, quick ? 1 : 0),
    seed: parseSeed(v.seed ?? 'gpux-load'),
    funders: parseFunders(v.funders ?? '//Alice,//Bob,//Charlie,//Dave,//Eve,//Ferdie'),
    fundMode: oneOf(v['fund-mode'] ?? 'auto', '--fund-mode', ['auto', 'sudo', 'transfer']),
    setupBatch: intFlag(v, 'setup-batch', 1, 256, 32),
    keeper: oneOf(v.keeper ?? 'auto', '--keeper', ['auto', 'on', 'off']),
    setupOnly: Boolean(v['setup-only']),
    keepLeases: Boolean(v['keep-leases']),
    audit: Boolean(v.audit),
    quick,
  };
  if (quick && (opts.count > QUICK_LIMITS.count || opts.duration > QUICK_LIMITS.duration)) {
    throw new UsageError(`--quick allows at most --count ${QUICK_LIMITS.count} and --duration ${QUICK_LIMITS.duration}`);
  }
  if (opts.importLog && !opts.importUrl && !opts.importPrometheus) {
    // A log alone is fine, but say what it gives.
    opts.notes = ['--import-log without --import-url: import times come from the log\'s timestamps only'];
  }
  return opts;
}

/** A comma-separated flag as a list (at most 16 entries). */
function list (text) {
  if (text === undefined) return [];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length > 16) throw new UsageError(`at most 16 comma-separated values, got ${items.length}`);
  return items;
}

function oneOf (value, flag, allowed) {
  if (!allowed.includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function parseEra (text) {
  if (text === 'immortal') return { immortal: true };
  if (!/^\d+$/.test(text)) throw new UsageError(`--era must be "immortal" or a block count, got "${text}"`);
  const period = Number(text);
  // A mortal era's period is a power of two; the runtime keeps 2400 block hashes.
  if (period < 16 || period > 2048 || (period & (period - 1)) !== 0) {
    throw new UsageError(`--era period must be a power of two within 16..2048, got ${text}`);
  }
  return { immortal: false, period };
}

function parseMixFlag (text) {
  if (text === undefined) return { ...MIX_DEFAULT };
  try {
    return parseMix(text);
  } catch (e) {
    throw new UsageError(`--mix: ${e.message}`);
  }
}

function parseSeed (text) {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text)) throw new UsageError('--seed must be 1..64 of A-Z a-z 0-9 _ . -');
  return text;
}

function parseFunders (text) {
  const uris = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (uris.length === 0 || uris.length > 32) throw new UsageError('--funders needs 1..32 URIs');
  for (const uri of uris) {
    // Dev derivations only: this tool holds no real keys.
    if (!/^\/\/[A-Za-z0-9_/-]{1,64}$/.test(uri)) throw new UsageError(`--funders: "${uri}" is not a dev URI like //Alice`);
  }
  return uris;
}
