// gpux-worker against a --dev node, as a provider runs it: init → register (simulated GPUs) →
// run. Heartbeats land every window; a proof-of-GPU challenge is answered and passes on the
// validator's verdict; a renter's lease is provisioned (SSH key in the workspace) and attested;
// the node restarts and the worker carries on; a worker stopped during a lease is reported
// offline after the grace and the lease closes as ProviderFault.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, killOnExit, startDevNode, stopDevNode, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const WORKER_BIN = process.env.GPUX_WORKER
  ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'gpux-target'), 'release', 'gpux-worker');
const MILLI = 10n ** 9n;
const WINDOW = 10; // HeartbeatInterval, blocks
const EPOCH = 100; // ChallengePeriod, blocks
const NEUTRAL = 500_000;
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT bob@e2e';

describe('gpux-worker on a --dev node', () => {
  let node;
  let api;
  let keyring;
  let dir;
  let running; // the `run` process
  let machine;
  let lease;
  let metricsPort;

  const url = () => `ws://127.0.0.1:${node.rpcPort}`;
  const common = () => ['--node', url(), '--keystore', join(dir, 'machine.key'), '--simulate', '2xH100-80GB', '--simulate-cc'];
  const worker = (args) => spawnSync(WORKER_BIN, args, { encoding: 'utf8', timeout: 120_000 });
  const lastWindow = async () => {
    // The machine is watched from its listing; a record without `receivedAt` has no heartbeat.
    const record = await api.query.attestation.heartbeats(machine);
    return record.isSome && record.unwrap().receivedAt.isSome ? record.unwrap().lastWindow.toNumber() : -1;
  };
  const best = async () => (await api.rpc.chain.getHeader()).number.toNumber();

  const startWorker = () => {
    running = killOnExit(spawn(WORKER_BIN, [...common(), 'run', '--machine', `${machine}`,
      '--workspaces', join(dir, 'leases'), '--public-host', 'gpu-e2e.example.net', '--ssh-port', '2222',
      '--metrics', `127.0.0.1:${metricsPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'] }));
    running.log = '';
    running.stdout.on('data', (d) => { running.log += d; });
    running.stderr.on('data', (d) => { running.log += d; });
  };

  before(async () => {
    ({ node, api, keyring } = await startDevNode('worker'));
    dir = mkdtempSync(join(tmpdir(), 'gpux-worker-e2e-'));
    metricsPort = await freePort();
  });

  after(async () => {
    running?.kill('SIGKILL');
    await stopDevNode({ node, api });
    rmSync(dir, { recursive: true, force: true });
  });

  it('init creates a machine key only its owner can read, once', { timeout: TEST_TIMEOUT_MS }, async () => {
    const init = worker([...common(), 'init']);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /worker key: 0x[0-9a-f]{64}/);
    assert.equal(statSync(join(dir, 'machine.key')).mode & 0o777, 0o600);
    const again = worker([...common(), 'init']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists already/);
    // A malformed config is refused by name before anything runs.
    writeFileSync(join(dir, 'bad.toml'), 'machien = 4\n');
    const bad = worker([...common(), '--config', join(dir, 'bad.toml'), 'status']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown field `machien`/);
  });

  it('register reads the GPUs and registers the machine under the provider', { timeout: TEST_TIMEOUT_MS }, async () => {
    const register = worker([...common(), 'register', '--provider-suri', '//Ferdie']);
    assert.equal(register.status, 0, register.stderr);
    machine = Number(register.stdout.match(/registered: machine (\d+)/)[1]);
    const record = (await api.query.marketplace.machines(machine)).unwrap();
    assert.equal(record.spec.gpuCount.toNumber(), 2);
    assert.equal(record.spec.gpuClass.toNumber(), 3); // H100 (in confidential-computing mode, simulated)
    assert.equal(record.spec.vramGibPerGpu.toNumber(), 80);
    // Registering again is harmless.
    const again = worker([...common(), 'register', '--provider-suri', '//Ferdie']);
    assert.match(again.stdout, new RegExp(`already registered: machine ${machine}`));
    // Ferdie lists it (his genesis bond covers it).
    const terms = {
      onDemandPrice: 500n * MILLI, spotFloorPrice: 200n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 10_000,
      availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
    };
    await submit(api, api.tx.marketplace.setListing(machine, terms), keyring.addFromUri('//Ferdie'));
  });

  it('run sends a heartbeat in every window', { timeout: TEST_TIMEOUT_MS }, async () => {
    startWorker();
    const first = await waitFor('a first heartbeat', async () => ((await lastWindow()) >= 0 ? lastWindow() : null), 60_000);
    await waitFor('heartbeats in the next two windows', async () => (await lastWindow()) >= first + 2, 60_000);
    const record = (await api.query.attestation.heartbeats(machine)).unwrap();
    assert.equal(record.telemetry.gpus.length, 2);
    assert.equal(record.telemetry.driverVersion.toUtf8(), 'simulated');
    // Layout 3: each reading optional, Xid errors and remapped rows counted, nothing lost.
    const [gpu] = record.telemetry.gpus;
    assert.equal(gpu.lost.isTrue, false);
    assert.equal(gpu.memoryTotalMib.unwrap().toNumber(), 80 * 1024);
    assert.equal(gpu.xidErrors.unwrap().toNumber(), 0);
    assert.ok(gpu.retiredPages.isNone);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /gpux_worker_heartbeats_sent_total [1-9]/);
  });

  it('a lease is provisioned with the renter\'s SSH key and its start attested', { timeout: TEST_TIMEOUT_MS }, async () => {
    const bob = keyring.addFromUri('//Bob');
    lease = (await api.query.leases.nextLeaseId()).toNumber();
    await submit(api, api.tx.leases.rent(machine, 1, 'OnDemand', 600, 500n * MILLI,
      { sshPublicKey: SSH_KEY, sealKey: null }), bob);
    const keys = join(dir, 'leases', `lease-${lease}`, 'home', '.ssh', 'authorized_keys');
    await waitFor('the workspace', async () => {
      try { return readFileSync(keys, 'utf8'); } catch { return null; }
    }, 30_000);
    assert.equal(readFileSync(keys, 'utf8'), `${SSH_KEY}\n`);
    assert.match(readFileSync(join(dir, 'leases', `lease-${lease}`, 'lease.env'), 'utf8'), /CUDA_VISIBLE_DEVICES=0\n/);
    const attested = await waitFor('the start attestation', async () => {
      const a = await api.query.attestation.leaseAttestations(lease);
      return a.isSome && a.unwrap().started.isSome ? a.unwrap() : null;
    }, 30_000);
    const [endpoint] = attested.started.unwrap();
    assert.equal(endpoint.host.toUtf8(), 'gpu-e2e.example.net');
    assert.equal(endpoint.port.toNumber(), 2222);
  });

  it('status shows the machine as the chain sees it, and metrics count outcomes', { timeout: TEST_TIMEOUT_MS }, async () => {
    const status = worker([...common(), 'status']);
    assert.equal(status.status, 0, status.stderr);
    const out = status.stdout;
    assert.match(out, /gpus: 2/);
    assert.match(out, /chain: runtime spec \d+ \(this worker's build matches it\)/);
    assert.match(out, new RegExp(`machine ${machine}: provider \\w+, class \\d+, 2 GPU\\(s\\) × 80 GiB, 1 leased`));
    assert.match(out, /worker key: 0x[0-9a-f]{64} \(this keystore's\)/);
    assert.match(out, /listing: on-demand 0\.500 GPUX per GPU-hour, spot floor 0\.200 GPUX/);
    assert.match(out, /heartbeat: last landed for window \d+ in block \d+/);
    assert.match(out, new RegExp(`lease ${lease}: renter \\w+, 1 GPU\\(s\\), OnDemand, Active`));
    assert.match(out, /endpoint \(ssh\) gpu-e2e\.example\.net:2222 attested at block \d+/);
    assert.match(out, /bond: \d+\.\d{3} GPUX active/);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /gpux_worker_heartbeats_landed_total [1-9]/);
    assert.match(metrics, /gpux_worker_runtime_spec_version [1-9]/);
    assert.match(metrics, /gpux_worker_runtime_changes_unmet 0/);
  });

  it('an encrypted worker key needs its passphrase, and says so', { timeout: TEST_TIMEOUT_MS }, async () => {
    const keystore = join(dir, 'sealed.key');
    const args = ['--node', url(), '--keystore', keystore];
    const sealed = spawnSync(WORKER_BIN, [...args, 'init'],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GPUX_KEY_PASSPHRASE: 'e2e passphrase' } });
    assert.equal(sealed.status, 0, sealed.stderr);
    assert.match(sealed.stdout, /\(encrypted\)/);
    assert.doesNotMatch(readFileSync(keystore, 'utf8'), /^0x/);
    const prove = ['prove-key', '--provider', keyring.addFromUri('//Ferdie').address];
    const without = spawnSync(WORKER_BIN, [...args, ...prove], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(without.status, 1);
    assert.match(without.stderr, /encrypted: give its passphrase in GPUX_KEY_PASSPHRASE or --key-passphrase-file/);
    const phrase = join(dir, 'passphrase');
    writeFileSync(phrase, 'e2e passphrase\n', { mode: 0o600 });
    const withFile = spawnSync(WORKER_BIN, [...args, '--key-passphrase-file', phrase, ...prove], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(withFile.status, 0, withFile.stderr);
    assert.match(withFile.stdout, /key proof: +0x[0-9a-f]{128}/);
  });

  it('removes a terminated lease\'s workspace and attests its end', { timeout: TEST_TIMEOUT_MS }, async () => {
    const charlie = keyring.addFromUri('//Charlie');
    const short = (await api.query.leases.nextLeaseId()).toNumber();
    await submit(api, api.tx.leases.rent(machine, 1, 'OnDemand', 600, 500n * MILLI,
      { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT charlie@e2e', sealKey: null }), charlie);
    const workspace = join(dir, 'leases', `lease-${short}`);
    await waitFor('the second workspace', async () => { try { return statSync(workspace); } catch { return null; } }, 30_000);
    // Each lease has a GPU of its own.
    assert.match(readFileSync(join(workspace, 'lease.env'), 'utf8'), /CUDA_VISIBLE_DEVICES=1\n/);
    // A renter ends a lease it has the connection details of; a lease never started on chain
    // has no end to attest.
    await waitFor('the second start attestation', async () => {
      const a = await api.query.attestation.leaseAttestations(short);
      return a.isSome && a.unwrap().started.isSome;
    }, 30_000);
    await submit(api, api.tx.leases.terminate(short), charlie);
    await waitFor('the end attestation', async () => {
      const a = await api.query.attestation.leaseAttestations(short);
      return a.isSome && a.unwrap().ended.isSome;
    }, 30_000).catch((e) => { console.error(running.log.slice(-4000)); throw e; });
    assert.throws(() => statSync(workspace));
  });

  it('answers the epoch\'s proof-of-GPU challenge and passes on the validator\'s verdict', { timeout: TEST_TIMEOUT_MS }, async () => {
    await waitFor('the first epoch', async () => (await best()) > EPOCH, (EPOCH + 30) * 1000);
    // The GPUs (simulated H100s in confidential-computing mode) attest their reports for the
    // challenge's nonce before it is solved; the file checks out against the chain.
    const attested = await waitFor('GPU evidence attested', async () => {
      const id = await api.query.attestation.challengeOf(machine);
      if (id.isNone) return null;
      const [challenge, hash] = await Promise.all([
        api.query.attestation.challenges(id.unwrap()),
        api.query.attestation.gpuEvidenceHashes(id.unwrap()),
      ]);
      return challenge.isSome && hash.isSome
        ? { id: id.unwrap().toNumber(), seed: challenge.unwrap().seed.toHex(), hash: hash.unwrap().toHex() }
        : null;
    }, 30_000);
    const file = join(dir, 'leases', '.state', 'evidence', `challenge-${attested.id}.json`);
    const checked = worker([...common(), 'check-evidence', file, '--seed', attested.seed, '--hash', attested.hash]);
    assert.equal(checked.status, 0, checked.stderr);
    assert.match(checked.stdout, /the attested file, 2 GPU report\(s\) requested with the challenge's nonce/);
    // Another challenge's seed does not pass.
    const other = worker([...common(), 'check-evidence', file, '--seed', `0x${'00'.repeat(32)}`, '--hash', attested.hash]);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /the nonce is/);
    await waitFor('a passed challenge in the machine\'s reputation', async () => {
      const view = await api.call.reputationApi.machineReputation(machine);
      return view.record.challenges.toNumber() > NEUTRAL;
    }, 60_000);
    assert.match(running.log, /answer sent/);
  });

  it('carries on after the node restarts', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = await lastWindow();
    await api.disconnect();
    await node.stop();
    node.start();
    await node.waitForRpc();
    api = await node.api();
    await waitFor('heartbeats after the restart', async () => (await lastWindow()) >= before + 2, 90_000);
    assert.match(running.log, /lost the connection/);
  });

  it('a worker stopped during a lease is reported offline after the grace', { timeout: TEST_TIMEOUT_MS }, async () => {
    running.kill('SIGTERM');
    const code = await new Promise((resolve) => running.once('exit', resolve));
    assert.equal(code, 0, running.log);
    assert.match(running.log, /SIGTERM: stopping/);
    // Two missed windows are within the grace; the third is reported.
    const closed = await waitFor('the lease closed by the offline fault', async () => {
      const l = (await api.query.leases.leases(lease)).unwrap();
      return l.status.isClosed ? l.status.asClosed.reason.toString() : null;
    }, 6 * WINDOW * 1000);
    assert.equal(closed, 'ProviderFault');
  });
});
