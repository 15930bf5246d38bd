// Checks of the parts that need no chain: arguments, sizing, byte encodings, log and Prometheus
// parsing, the submitter's pacing, the report. `npm test` (node --test test/).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypeRegistry } from '@polkadot/types';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady, sr25519Verify } from '@polkadot/util-crypto';
import { parseArgs, UsageError } from '../lib/args.mjs';
import { foldBalancesEvent, mismatches, newMoves } from '../lib/audit.mjs';
import {
  compactLength, concat, encodeEndpoint, fromHex, heartbeatSendRange, heartbeatStatement, keyPossessionMessage,
  leaseStartedStatement, startOfWindow, toHex, utf8, windowOf, workerSigningMessage,
} from '../lib/codec.mjs';
import { Keys } from '../lib/keys.mjs';
import { histogramDeltaMs, histogramTotals, parseImportLine, parsePrometheus, parseProposalLine, stats } from '../lib/metrics.mjs';
import { makePlan, mixPattern, parseMix, splitCounts } from '../lib/plan.mjs';
import { buildReport, expectationFailures, formatReport, summarizeKind, toJson } from '../lib/report.mjs';
import { rejectionReason, Submitter } from '../lib/submit.mjs';

const REQUIRED = ['--kind', 'rent', '--count', '100', '--duration', '30', '--rate', '50'];

describe('arguments', () => {
  it('requires kind, count, duration and rate, each in range', () => {
    assert.throws(() => parseArgs([]), /missing required --kind, --count, --duration, --rate/);
    assert.throws(() => parseArgs(['--kind', 'rent', '--count', '5', '--duration', '5']), /missing required --rate/);
    assert.throws(() => parseArgs([...REQUIRED.slice(0, 2), '--count', '100001', '--duration', '1', '--rate', '1']), /--count must be within 1..100000/);
    assert.throws(() => parseArgs([...REQUIRED.slice(0, 4), '--duration', '3601', '--rate', '1']), /--duration must be within 1..3600/);
    assert.throws(() => parseArgs([...REQUIRED.slice(0, 6), '--rate', '20001']), /--rate must be within 1..20000/);
    assert.throws(() => parseArgs([...REQUIRED.slice(0, 6), '--rate', '0']), /--rate must be within/);
    assert.throws(() => parseArgs([...REQUIRED.slice(0, 6), '--rate', '1.5']), /whole number/);
    assert.throws(() => parseArgs(['--kind', 'stake', ...REQUIRED.slice(2)]), /--kind must be one of/);
    const opts = parseArgs(REQUIRED);
    assert.equal(opts.count, 100);
    assert.equal(opts.url, 'ws://127.0.0.1:9944');
    assert.equal(opts.expectLanded, 0);
    assert.deepEqual(opts.era, { immortal: true });
  });

  it('refuses every URL whose host is not loopback', () => {
    for (const url of ['ws://10.0.0.1:9944', 'ws://example.com:9944', 'ws://0.0.0.0:9944', 'ws://127.0.0.2:9944', 'ws://localhost.evil.com']) {
      assert.throws(() => parseArgs([...REQUIRED, '--url', url]), UsageError, url);
    }
    assert.throws(() => parseArgs([...REQUIRED, '--import-prometheus', 'http://192.168.1.2:9615']), /non-loopback/);
    assert.throws(() => parseArgs([...REQUIRED, '--url', 'http://127.0.0.1:9944']), /scheme must be ws or wss/);
    assert.throws(() => parseArgs([...REQUIRED, '--url', 'ws://u:p@127.0.0.1:9944']), /credentials/);
    assert.equal(parseArgs([...REQUIRED, '--url', 'ws://[::1]:9945']).url, 'ws://[::1]:9945');
    assert.equal(parseArgs([...REQUIRED, '--url', 'ws://localhost:9945']).url, 'ws://localhost:9945');
    assert.deepEqual(parseArgs([...REQUIRED, '--author-prometheus', 'http://127.0.0.1:9615,http://localhost:9616/metrics']).authorPrometheus,
      ['http://127.0.0.1:9615/metrics', 'http://localhost:9616/metrics']);
    assert.throws(() => parseArgs([...REQUIRED, '--author-prometheus', 'http://127.0.0.1:9615,http://8.8.8.8:9615']), /non-loopback/);
    assert.deepEqual(parseArgs([...REQUIRED, '--author-log', 'a.log, b.log']).authorLogs, ['a.log', 'b.log']);
  });

  it('reads eras, mixes, quick mode and expectations', () => {
    assert.deepEqual(parseArgs([...REQUIRED, '--era', '256']).era, { immortal: false, period: 256 });
    assert.throws(() => parseArgs([...REQUIRED, '--era', '100']), /power of two/);
    assert.throws(() => parseArgs([...REQUIRED, '--era', '4096']), /power of two/);
    assert.deepEqual(parseArgs([...REQUIRED, '--mix', 'rent=1,transfer=3']).mix, { rent: 1, transfer: 3 });
    assert.throws(() => parseArgs([...REQUIRED, '--mix', 'rent=1,stake=3']), /unknown kind "stake"/);
    const quick = parseArgs([...REQUIRED, '--quick']);
    assert.equal(quick.expectLanded, 1);
    assert.equal(quick.waitBlocks, 5);
    assert.equal(parseArgs([...REQUIRED, '--quick', '--expect-landed', '50']).expectLanded, 50);
    assert.throws(() => parseArgs(['--kind', 'rent', '--count', '5000', '--duration', '30', '--rate', '50', '--quick']), /--quick allows at most/);
    assert.throws(() => parseArgs([...REQUIRED, '--funders', 'bottom drive obey lake']), /not a dev URI/);
    assert.throws(() => parseArgs([...REQUIRED, '--seed', 'a b']), /--seed/);
    assert.deepEqual(parseArgs(['-h']), { help: true });
  });
});

describe('sizing', () => {
  it('splits a mix by largest remainder and interleaves it', () => {
    const counts = splitCounts('mix', 1001, { rent: 40, heartbeat: 30, placeOrder: 15, settle: 10, transfer: 5 });
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 1001);
    assert.deepEqual(counts, { rent: 401, heartbeat: 300, placeOrder: 150, settle: 100, transfer: 50 });
    assert.deepEqual(splitCounts('rent', 7, {}), { rent: 7 });
    const pattern = mixPattern({ rent: 40, heartbeat: 30, placeOrder: 15, settle: 10, transfer: 5 });
    assert.equal(pattern.length, 20);
    assert.equal(pattern.filter((k) => k === 'rent').length, 8);
    assert.equal(pattern.filter((k) => k === 'transfer').length, 1);
    // Smooth: no kind twice in a row when another has weight to spare.
    assert.ok(pattern.every((k, i) => i === 0 || k !== pattern[i - 1] || k === 'rent'), pattern.join(','));
    assert.deepEqual(mixPattern({ bid: 1 }), ['bid']);
    assert.throws(() => parseMix('rent=0'), /at least one/);
  });

  it('sizes pools from rate, block time and lease length', () => {
    const base = { rate: 50, durationS: 60, blockMs: 1000, windowBlocks: 10, perSender: 8, leaseBlocks: 20, settleLeases: 256 };
    const rent = makePlan({ ...base, counts: { rent: 30_000 } });
    // 50 rents a block × (20 + 64 spread + 4 + 2) blocks × 1.25 = 5,625 GPUs = 352 machines of 16.
    assert.equal(rent.pools.rent.machines, 352);
    assert.equal(rent.senders.rent, 3750);
    assert.equal(rent.providers.rent, 6);
    // Few rents need no reuse: one GPU each.
    assert.equal(makePlan({ ...base, counts: { rent: 100 } }).pools.rent.machines, 7);
    // Above the chain's 2,048 start checks a block: a note, and the pool capped at 2,400 a block.
    const fast = makePlan({ ...base, rate: 5000, counts: { rent: 1_000_000 } });
    assert.ok(fast.notes.some((n) => /StartChecksFull/.test(n)));
    assert.equal(fast.pools.rent.machines, Math.ceil((2400 * 90 * 1.25) / 16));

    const hb = makePlan({ ...base, counts: { heartbeat: 1000 } });
    // 50/s × 10 s windows × 0.8 = 400 machines, 3 windows.
    assert.deepEqual([hb.pools.heartbeat.machines, hb.pools.heartbeat.windows], [400, 3]);
    const slow = makePlan({ ...base, durationS: 10, counts: { heartbeat: 1000 } });
    assert.ok(slow.notes.some((n) => /more than --duration/.test(n)));

    const bid = makePlan({ ...base, counts: { bid: 100 } });
    assert.deepEqual([bid.pools.bid.machines, bid.pools.bid.jobs, bid.providers.bid], [16, 7, 16]);
    const settle = makePlan({ ...base, counts: { settle: 100 } });
    assert.deepEqual([settle.pools.settle.leases, settle.pools.settle.machines], [100, 7]);
    const order = makePlan({ ...base, counts: { placeOrder: 100 } });
    assert.equal(order.pools.order.machines, 8);
    // Enough GPUs that every order can fill.
    assert.equal(makePlan({ ...base, counts: { placeOrder: 4000 } }).pools.order.machines, 250);
    const transfer = makePlan({ ...base, counts: { transfer: 3 } });
    assert.equal(transfer.senders.transfer, 2);
    assert.deepEqual(transfer.pools, {});
  });
});

describe('signed messages', () => {
  // An independent encoding of the Rust types through polkadot.js's SCALE codec.
  const registry = new TypeRegistry();
  registry.register({
    AccessMethod: { _enum: ['Ssh', 'Jupyter', 'Api'] },
    JupyterEndpoint: { port: 'u16', sealedToken: 'Bytes' },
    Endpoint: { host: 'Bytes', port: 'u16', method: 'AccessMethod', hostKeyFingerprint: 'Option<[u8;32]>', jupyter: 'Option<JupyterEndpoint>' },
    WorkerStatement: {
      _enum: {
        Heartbeat: { machine: 'u64', window: 'u32', telemetry: '[u8;32]' },
        ChallengeCommitted: { challenge: 'u64', root: '[u8;32]' },
        ChallengeRevealed: { challenge: 'u64', rows: '[u8;32]' },
        LeaseStarted: { lease: 'u64', endpoint: 'Endpoint' },
        LeaseEnded: { lease: 'u64', digest: '[u8;32]' },
      },
    },
  });
  const genesis = blake2AsU8a('genesis', 256);
  const tag = utf8('gpux/worker');

  it('encodes a heartbeat statement as the runtime does', () => {
    const telemetry = blake2AsU8a('telemetry', 256);
    const ours = workerSigningMessage(genesis, heartbeatStatement(5n ** 20n, 123456, telemetry));
    const statement = registry.createType('WorkerStatement', { Heartbeat: { machine: 5n ** 20n, window: 123456, telemetry } });
    const theirs = concat(tag, registry.createType('[u8;32]', genesis).toU8a(), statement.toU8a());
    assert.equal(toHex(ours), toHex(theirs));
    assert.equal(ours.length, 11 + 32 + 1 + 8 + 4 + 32);
  });

  it('encodes a lease-start statement and its endpoint as the runtime does', () => {
    const endpoint = { host: 'load.gpux.invalid', port: 22, method: 'Ssh' };
    assert.equal(toHex(encodeEndpoint(endpoint)), registry.createType('Endpoint', endpoint).toHex());
    const long = {
      host: 'h'.repeat(200), port: 65535, method: 'Api', hostKeyFingerprint: new Uint8Array(32).fill(7),
      jupyter: { port: 8888, sealedToken: new Uint8Array(128).fill(9) },
    };
    // polkadot.js reads a Uint8Array given for an Option or Bytes as already encoded: hex it.
    const theirs = { ...long, hostKeyFingerprint: toHex(long.hostKeyFingerprint),
      jupyter: { port: 8888, sealedToken: toHex(long.jupyter.sealedToken) } };
    assert.equal(toHex(encodeEndpoint(long)), registry.createType('Endpoint', theirs).toHex());
    assert.equal(toHex(leaseStartedStatement(77, endpoint)),
      registry.createType('WorkerStatement', { LeaseStarted: { lease: 77, endpoint } }).toHex());
  });

  it('compact lengths match SCALE', () => {
    for (const n of [0, 1, 63, 64, 16383, 16384, 1 << 20]) {
      assert.equal(toHex(compactLength(n)), toHex(registry.createType('Compact<u32>', n).toU8a()), String(n));
    }
    assert.deepEqual(fromHex('0x0a0b'), Uint8Array.of(10, 11));
    assert.throws(() => fromHex('0xabc'), /not hex/);
  });

  it('proves a worker key the way e2e does, and signs verifiably', async () => {
    await cryptoWaitReady();
    const keys = new Keys(42, 'test');
    const provider = keys.provider('rent', 0);
    const worker = keys.worker('rent', 0);
    assert.equal(keys.worker('rent', 0), worker, 'memoized');
    assert.notEqual(keys.worker('rent', 1).address, worker.address);
    assert.equal(new Keys(42, 'test').worker('rent', 0).address, worker.address, 'deterministic');
    assert.notEqual(new Keys(42, 'other').worker('rent', 0).address, worker.address, 'seeded');
    const proof = Keys.proof(genesis, worker, provider);
    // e2e/lib/node.mjs provenWorkerKey: "gpux/key-owner" ‖ genesis ‖ provider.addressRaw.
    const message = concat(utf8('gpux/key-owner'), genesis, provider.addressRaw);
    assert.deepEqual(keyPossessionMessage(genesis, provider.publicKey), message);
    assert.ok(sr25519Verify(message, proof, worker.publicKey));
    const dev = new Keyring({ type: 'sr25519' }).createFromUri('//Alice');
    assert.equal(keys.dev('//Alice').publicKey.toString(), dev.publicKey.toString());
  });

  it('numbers heartbeat windows as WindowAnchor does', () => {
    const genesisAnchor = { block: 0, window: 0, interval: 10 };
    assert.equal(windowOf(genesisAnchor, 0), 0);
    assert.equal(windowOf(genesisAnchor, 9), 0);
    assert.equal(windowOf(genesisAnchor, 10), 1);
    // Governance moved the interval to 20 at block 100 (window 10).
    const moved = { block: 100, window: 10, interval: 20 };
    assert.equal(windowOf(moved, 119), 10);
    assert.equal(windowOf(moved, 120), 11);
    assert.equal(windowOf(moved, 80), 9);
    assert.equal(startOfWindow(moved, 12), 140);
    assert.equal(startOfWindow(moved, 9), 80);
    // Sent while best+1 is in the window: best from start-1 to end-1.
    assert.deepEqual(heartbeatSendRange(genesisAnchor, 3), { notBefore: 29, notAfter: 38 });
  });
});

describe('node logs and Prometheus', () => {
  it('parses the author\'s proposal lines, old and new', () => {
    const old = '2025-01-17 20:42:39 🎁 Prepared block for proposing at 1 (3 ms) [hash: 0x6d9c; parent_hash: 0xad3e…d8b4; extrinsics (2): [0x0bca…1ac2, 0x6591…3bcd]';
    assert.deepEqual(parseProposalLine(old), { number: 1, ms: 3, time: new Date(2025, 0, 17, 20, 42, 39).getTime(), extrinsics: 2 });
    const newer = '2026-08-01 11:44:42 🎁 Prepared block for proposing at 1 (1 ms) hash: 0x8cec3ec6…d5630239; parent_hash: 0x6e13…e44d; end: NoMoreTransactions; extrinsics_count: 1';
    assert.deepEqual(parseProposalLine(newer), { number: 1, ms: 1, time: new Date(2026, 7, 1, 11, 44, 42).getTime(), extrinsics: 1, end: 'NoMoreTransactions' });
    assert.equal(parseProposalLine('\x1b[32m2025-01-17 20:42:39\x1b[0m 🎁 Prepared block for proposing at 77 (1500 ms) [hash: 0x; no extrinsics').extrinsics, 0);
    assert.equal(parseProposalLine('💤 Idle (0 peers), best: #5'), null);
    assert.deepEqual(parseImportLine('2025-01-17 20:42:40.250 🏆 Imported #12 (0xad3e…d8b4 → 0xa4f4…4268)'),
      { number: 12, time: new Date(2025, 0, 17, 20, 42, 40, 250).getTime() });
  });

  it('reads histogram sums and counts and their per-block deltas', () => {
    const text = [
      '# HELP substrate_proposer_block_constructed Histogram of time taken to construct new block',
      '# TYPE substrate_proposer_block_constructed histogram',
      'substrate_proposer_block_constructed_bucket{le="0.005"} 223',
      'substrate_proposer_block_constructed_sum 1.5',
      'substrate_proposer_block_constructed_count 650',
      'substrate_block_verification_time_sum{result="success"} 2',
      'substrate_block_verification_time_count{result="success"} 4',
      'substrate_block_verification_time_sum{result="failure"} 1',
      'substrate_block_verification_time_count{result="failure"} 1',
    ].join('\n');
    const samples = parsePrometheus(text);
    assert.deepEqual(histogramTotals(samples, 'substrate_proposer_block_constructed'), { sum: 1.5, count: 650 });
    assert.deepEqual(histogramTotals(samples, 'substrate_block_verification_time'), { sum: 3, count: 5 });
    assert.equal(histogramTotals(samples, 'nope'), null);
    assert.deepEqual(histogramDeltaMs({ sum: 1.5, count: 650 }, { sum: 1.75, count: 651 }), { ms: 250, observations: 1 });
    assert.equal(histogramDeltaMs({ sum: 1, count: 2 }, { sum: 1, count: 2 }), null);
    assert.deepEqual(stats([3, 1, 2, NaN, null]), { n: 3, mean: 2, min: 1, p50: 2, p95: 3, max: 3 });
    assert.equal(stats([]), null);
  });
});

describe('the submitter', () => {
  const fakeConnection = (answer) => ({ sent: [], send (method, [hex]) { this.sent.push(hex); return answer(hex); } });

  it('paces at the rate, stops at the count, and records answers', async () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ kind: 'transfer', hex: `0x${i}`, hash: `h${i}` }));
    const ok = fakeConnection(async (hex) => { if (hex === '0x3') throw new Error('1010: Invalid Transaction: Transaction is outdated'); return 'hash'; });
    const s = new Submitter({ queues: { transfer: items }, pattern: ['transfer'], rate: 400, concurrency: 8, durationMs: 5000, connections: [ok], best: () => 10 });
    const t0 = Date.now();
    const result = await s.run();
    const took = Date.now() - t0;
    assert.equal(result.stopReason, 'all sent');
    assert.equal(result.sent, 40);
    assert.ok(took >= 60 && took < 1500, `40 at 400/s took ${took} ms`);
    assert.equal(items.filter((i) => i.status === 'accepted').length, 39);
    assert.equal(items[3].status, 'rejected');
    assert.equal(items[3].error, '1010: Invalid Transaction: Transaction is outdated');
    assert.ok(items.every((i) => i.sentBest === 10 && i.latencyMs >= 0));
  });

  it('holds heartbeats until their window, drops passed windows, and stops at the duration', async () => {
    let best = 5;
    const items = [
      { kind: 'heartbeat', hex: '0xa', notBefore: 0, notAfter: 4 }, // passed
      { kind: 'heartbeat', hex: '0xb', notBefore: 5, notAfter: 9 },
      { kind: 'heartbeat', hex: '0xc', notBefore: 10, notAfter: 19 }, // never reached
    ];
    const rents = Array.from({ length: 5 }, (_, i) => ({ kind: 'rent', hex: `0x${i}` }));
    const c = fakeConnection(async () => 'ok');
    const s = new Submitter({ queues: { heartbeat: items, rent: rents }, pattern: ['heartbeat', 'rent'], rate: 1000, concurrency: 4, durationMs: 300, connections: [c, fakeConnection(async () => 'ok')], best: () => best });
    const result = await s.run();
    assert.equal(result.stopReason, 'duration elapsed');
    assert.deepEqual(items.map((i) => i.status), ['expired', 'accepted', 'unsent']);
    assert.ok(rents.every((r) => r.status === 'accepted'), 'a waiting kind does not hold up the others');
    best = 0; // silence the unused-assignment lint
  });

  it('respects the concurrency bound', async () => {
    let open = 0;
    let most = 0;
    const slow = { send: () => { open++; most = Math.max(most, open); return new Promise((r) => setTimeout(() => { open--; r('ok'); }, 30)); } };
    const items = Array.from({ length: 30 }, (_, i) => ({ kind: 'rent', hex: `0x${i}` }));
    await new Submitter({ queues: { rent: items }, pattern: ['rent'], rate: 10_000, concurrency: 3, durationMs: 5000, connections: [slow], best: () => 1 }).run();
    assert.equal(most, 3);
    assert.ok(items.every((i) => i.status === 'accepted'));
  });

  it('masks per-transaction numbers in refusal reasons', () => {
    assert.equal(rejectionReason('1014: Priority is too low: (18446744073709551615 vs 20)'), '1014: Priority is too low: (N vs N)');
  });
});

describe('the report', () => {
  it('counts per kind and per block, and checks expectations', () => {
    const items = [
      { kind: 'rent', status: 'accepted', block: 11, dispatch: 'ok', sentWall: 1000, sentBest: 10, latencyMs: 2 },
      { kind: 'rent', status: 'accepted', block: 11, dispatch: 'leases.NoFreeGpus', sentWall: 1000, sentBest: 10, latencyMs: 3 },
      { kind: 'rent', status: 'accepted', sentBest: 10, latencyMs: 3 },
      { kind: 'rent', status: 'rejected', error: '1010: Invalid Transaction: Custom error: 2', sentBest: 10 },
      { kind: 'rent', status: 'unsent' },
    ];
    const s = summarizeKind(items, { blockArrival: () => 1500, annotate: (r) => r.replace('Custom error: 2', 'X') });
    assert.equal(s.sent, 4);
    assert.equal(s.included, 2);
    assert.equal(s.landed, 1);
    assert.deepEqual(s.failures, { 'leases.NoFreeGpus': 1 });
    assert.deepEqual(s.rejections, { '1010: Invalid Transaction: X': 1 });
    assert.equal(s.acceptedNotIncluded, 1);
    assert.equal(s.unsent, 1);
    assert.equal(s.inclusionLatencyMs.mean, 500);

    const weight = (ref) => ({ refTime: ref, proofSize: 2048 });
    const observer = {
      arrivals: new Map([[10, 1000], [11, 2000], [12, 3000]]),
      authorTimes: new Map([[12, { builtMs: 7, source: 'prometheus' }]]),
      blocks: new Map([
        [11, { number: 11, extrinsics: 5, byTag: { rent: { included: 2, ok: 1, failed: 1, errors: { 'leases.NoFreeGpus': 1 }, outcomes: { 'leases.Rented': 1 } }, keeper: { included: 1, ok: 1, failed: 0, errors: {}, outcomes: {} } },
          weight: { normal: weight(1.5e12), operational: weight(0), mandatory: weight(5e9) } }],
        [12, { number: 12, extrinsics: 1, byTag: {}, weight: { normal: weight(0), operational: weight(0), mandatory: weight(5e9) } }],
      ]),
    };
    const report = buildReport({
      opts: { kind: 'rent', count: 5, rate: 5, duration: 5, url: 'ws://127.0.0.1:9944', funders: [], era: { immortal: true } },
      chain: { name: 'Development', specVersion: 100 }, plan: {}, queues: { rent: items }, submit: { stopReason: 'all sent' },
      observer, authorLog: { byNumber: new Map([[11, { number: 11, ms: 42, extrinsics: 5 }]]) },
      importWatcher: { arrivals: new Map([[11, 2030]]), importMs: new Map([[11, { ms: 12.5, exact: true }]]), logTimes: new Map() },
      keeper: { heartbeats: 1, attestations: 0, accepted: 1, rejected: {}, windows: 1 },
      firstBlock: 11, lastBlock: 12, limits: { maxRefTime: 2e12, normalMaxRefTime: 1.5e12 },
      timings: { setupMs: 1000, presignMs: 10, sendingMs: 100, waitMs: 2000 },
    });
    assert.equal(report.blocks.length, 2);
    const [b11, b12] = report.blocks;
    assert.deepEqual([b11.included, b11.landed, b11.failed, b11.keeper], [2, 1, 1, 1]);
    assert.equal(b11.weight.normalRefTimePct, 100);
    assert.equal(b11.weight.refTimeMs, 1505);
    assert.equal(b11.weight.proofKiB, 6);
    assert.deepEqual(b11.production, { ms: 42, source: 'log', extrinsics: 5, end: undefined });
    assert.equal(b11.import.arrivalLagMs, 30);
    assert.equal(b11.import.ms, 12.5);
    assert.equal(b12.production.ms, 7);
    assert.deepEqual(report.kinds.rent.outcomes, { 'leases.Rented': 1 });
    assert.equal(report.keeper.included, 1);
    assert.equal(report.totals.includedPerSecond, 2);
    const text = formatReport(report);
    assert.match(text, /build ms/);
    assert.match(text, /failed 1× leases\.NoFreeGpus/);
    assert.doesNotThrow(() => JSON.parse(toJson({ ...report, big: 10n })));
    assert.deepEqual(expectationFailures(report, 0), []);
    assert.deepEqual(expectationFailures(report, 1), []);
    assert.deepEqual(expectationFailures(report, 2), ['rent: 1 landed, --expect-landed 2']);
  });
});

describe('the money audit', () => {
  const fold = (events) => events.reduce((moves, [method, fields]) => foldBalancesEvent(moves, method, fields), newMoves());

  it('balances a fee, a transfer on hold and a held slash paid to a renter and the treasury', () => {
    const moves = fold([
      ['Withdraw', { who: 'renter', amount: 7n }], // the fee, taken
      ['Deposit', { who: 'renter', amount: 2n }], // its refund
      ['Deposit', { who: 'treasury', amount: 5n }], // the fee kept
      ['Held', { reason: 'LeaseEscrow', who: 'renter', amount: 100n }], // within the account
      ['TransferOnHold', { reason: 'LeaseEscrow', source: 'renter', dest: 'provider', amount: 40n }],
      ['Slashed', { who: 'provider', amount: 30n }], // a held bond slashed (the runtime's event)
      ['Deposit', { who: 'renter', amount: 20n }],
      ['Deposit', { who: 'treasury', amount: 10n }],
      ['Endowed', { account: 'renter', freeBalance: 1n }], // informational
    ]);
    const before = new Map([['renter', 1000n], ['provider', 500n], ['treasury', 0n]]);
    const after = new Map([['renter', 975n], ['provider', 510n], ['treasury', 15n]]);
    assert.deepEqual(mismatches(moves, before, after), []);
  });

  it('names an account whose balance moved without an event, and one the events move without a change', () => {
    const moves = fold([['Transfer', { from: 'a', to: 'b', amount: 10n }]]);
    const found = mismatches(moves, new Map([['a', 100n], ['b', 0n], ['c', 5n]]),
      new Map([['a', 90n], ['b', 0n], ['c', 6n]]));
    assert.deepEqual(found.map((m) => m.who), ['b', 'c']);
    assert.deepEqual(found[0], { who: 'b', before: 0n, after: 0n, into: 10n, out: 0n });
  });

  it('skips a balance set outright and refuses an event it does not know', () => {
    const moves = fold([['BalanceSet', { who: 'a', free: 7n }]]);
    assert.deepEqual(mismatches(moves, new Map([['a', 1n]]), new Map([['a', 7n]])), []);
    assert.throws(() => foldBalancesEvent(newMoves(), 'Teleported', { who: 'a', amount: 1n }), /does not know balances.Teleported/);
  });
});
