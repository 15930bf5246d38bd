// A renter really gets in: gpux-worker with the Docker backend against a --dev node, the lease
// image built by scripts/build-lease-image.sh, dockerd running (scripts/dockerd.sh). A renter
// rents a GPU with its SSH key and a seal key, checks the container's host key against the
// fingerprint in the start attestation, logs in and runs a command, opens Jupyter with the token
// sealed to it; a second renter's container cannot reach the first's; a killed container is
// noticed and started again with the same host key; a restarted worker finds its leases and
// ports; a container reaches neither another lease nor the host's own services; terminating
// removes the container and attests the end. Ports on 127.0.0.1 only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerRunArgs, IMAGE, provideMachine, requireDocker, run, scanHostKey, WORKER_BIN } from './lib/docker-worker.mjs';
import { freePort, killOnExit, startDevNode, stopDevNode, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

// Debian's python3 with python3-nacl: the renter's one-liners of docs/access.md.
const PYTHON = '/usr/bin/python3';
const MILLI = 10n ** 9n;
const PORT_BASE = 42_000 + (process.pid % 200) * 20;

const docker = (...args) => run('docker', args);

describe('a Docker lease, as a renter uses it', () => {
  let node;
  let api;
  let keyring;
  let dir;
  let running;
  let machine;
  let metricsPort;
  const leases = {}; // who → lease id
  const keys = {}; // who → { ssh: private key file, pub, sealSecret, sealKey }

  const url = () => `ws://127.0.0.1:${node.rpcPort}`;
  const common = () => ['--node', url(), '--keystore', join(dir, 'machine.key'), '--simulate', '2xRTX4090'];
  const runArgs = ({ image = IMAGE, ports = `${PORT_BASE}-${PORT_BASE + 9}`, extra = [] } = {}) =>
    [...dockerRunArgs({ common: common(), machine, dir, ports, image }), ...extra];
  const startWorker = () => {
    running = killOnExit(spawn(WORKER_BIN, runArgs({ extra: ['--metrics', `127.0.0.1:${metricsPort}`] }), { stdio: ['ignore', 'pipe', 'pipe'] }));
    running.log = '';
    running.stdout.on('data', (d) => { running.log += d; });
    running.stderr.on('data', (d) => { running.log += d; });
  };
  const stopWorker = async () => {
    running.kill('SIGTERM');
    return new Promise((resolve) => running.once('exit', resolve));
  };
  const metric = async (name) => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : null;
  };
  const started = (lease) => waitFor(`lease ${lease}'s start attestation`, async () => {
    const a = await api.query.attestation.leaseAttestations(lease);
    return a.isSome && a.unwrap().started.isSome ? a.unwrap().started.unwrap()[0] : null;
  }, 120_000);
  const container = (lease) => `gpux-lease-${lease}`;
  /** Logs in as `who`, trusting only the host key whose fingerprint the chain attested. */
  const sshAs = (who, endpoint, command) => {
    const { line, blob } = scanHostKey(endpoint.port.toNumber());
    const sha256 = `0x${createHash('sha256').update(blob).digest('hex')}`;
    assert.equal(sha256, endpoint.hostKeyFingerprint.unwrap().toHex(), 'the host key is the attested one');
    const knownHosts = join(dir, `known_hosts-${who}`);
    writeFileSync(knownHosts, `${line}\n`);
    return run('ssh', ['-i', keys[who].ssh, '-p', `${endpoint.port.toNumber()}`, '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', 'root@127.0.0.1', command]);
  };
  const rent = async (who, seal) => {
    const id = (await api.query.leases.nextLeaseId()).toNumber();
    const access = { sshPublicKey: keys[who].pub, sealKey: seal ? `0x${keys[who].sealKey}` : null };
    await submit(api, api.tx.leases.rent(machine, 1, 'OnDemand', 600, 500n * MILLI, access), keyring.addFromUri(`//${who}`));
    leases[who] = id;
    return id;
  };

  before(async () => {
    requireDocker();
    ({ node, api, keyring } = await startDevNode('docker-lease'));
    dir = mkdtempSync(join(tmpdir(), 'gpux-docker-e2e-'));
    metricsPort = await freePort();
    for (const who of ['Bob', 'Charlie']) {
      const ssh = join(dir, `id_${who}`);
      assert.equal(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${who}@e2e`, '-f', ssh]).status, 0);
      const pair = run(PYTHON, ['-c', 'import nacl.public as p;k=p.PrivateKey.generate();print(bytes(k).hex(),bytes(k.public_key).hex())']);
      assert.equal(pair.status, 0, `python3-nacl is needed: ${pair.stderr}`);
      const [sealSecret, sealKey] = pair.stdout.trim().split(' ');
      keys[who] = { ssh, pub: readFileSync(`${ssh}.pub`, 'utf8').trim(), sealSecret, sealKey };
    }
    machine = await provideMachine({ api, keyring, common: common() });
  });

  after(async () => {
    running?.kill('SIGKILL');
    for (const lease of Object.values(leases)) {
      docker('rm', '-f', '-v', container(lease));
      docker('network', 'rm', `${container(lease)}-net`);
    }
    await stopDevNode({ node, api });
    rmSync(dir, { recursive: true, force: true });
  });

  it('names a missing image and a port range too small before running', { timeout: TEST_TIMEOUT_MS }, async () => {
    const image = run(WORKER_BIN, runArgs({ image: 'gpux/missing:0' }));
    assert.equal(image.status, 1);
    assert.match(image.stderr, /the lease image gpux\/missing:0 is missing: build it with scripts\/build-lease-image.sh/);
    const small = run(WORKER_BIN, runArgs({ ports: `${PORT_BASE}-${PORT_BASE + 2}` }));
    assert.equal(small.status, 1);
    assert.match(small.stderr, /has 3 ports; 2 leases \(one per GPU\) with 2 each need 4: widen --port-range/);
  });

  it('refuses a malformed SSH key at rent, on chain', { timeout: TEST_TIMEOUT_MS }, async () => {
    const bad = { sshPublicKey: 'ssh-ed25519 AAAA bob@e2e', sealKey: null };
    await assert.rejects(submit(api, api.tx.leases.rent(machine, 1, 'OnDemand', 600, 500n * MILLI, bad),
      keyring.addFromUri('//Bob')), /leases\.MalformedSshKey/);
  });

  it('delivers a container the renter logs into with its key, at the attested host key', { timeout: TEST_TIMEOUT_MS }, async () => {
    startWorker();
    const lease = await rent('Bob', true);
    const endpoint = await started(lease);
    assert.equal(endpoint.host.toUtf8(), '127.0.0.1');
    assert.ok(endpoint.port.toNumber() >= PORT_BASE && endpoint.port.toNumber() <= PORT_BASE + 9);
    const login = sshAs('Bob', endpoint, 'echo "lease=$GPUX_LEASE gpus=$CUDA_VISIBLE_DEVICES"; id -u; cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max');
    assert.equal(login.status, 0, login.stderr);
    const [hello, uid, pids] = login.stdout.trim().split('\n');
    assert.equal(hello, `lease=${lease} gpus=0`);
    assert.equal(uid, '0');
    assert.equal(pids, '1024'); // one GPU's share
    // Someone else's key is refused.
    const other = run('ssh', ['-i', keys.Charlie.ssh, '-p', `${endpoint.port.toNumber()}`, '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', 'root@127.0.0.1', 'true']);
    assert.notEqual(other.status, 0);
  });

  it('opens Jupyter with the token sealed to the renter\'s seal key', { timeout: TEST_TIMEOUT_MS }, async () => {
    const endpoint = await started(leases.Bob);
    const jupyter = endpoint.jupyter.unwrap();
    const opened = run(PYTHON, ['-c',
      'import sys,nacl.public as p;print(p.SealedBox(p.PrivateKey(bytes.fromhex(sys.argv[1]))).decrypt(bytes.fromhex(sys.argv[2])).decode())',
      keys.Bob.sealSecret, jupyter.sealedToken.toHex().slice(2)]);
    assert.equal(opened.status, 0, opened.stderr);
    const token = opened.stdout.trim();
    assert.match(token, /^[0-9a-f]{48}$/);
    const base = `http://127.0.0.1:${jupyter.port.toNumber()}`;
    assert.equal((await fetch(`${base}/api`)).status, 200);
    assert.equal((await fetch(`${base}/api/contents?token=${token}`)).status, 200);
    assert.equal((await fetch(`${base}/api/contents`)).status, 403, 'nothing without the token');
    // Charlie's seal key does not open it.
    const wrong = run(PYTHON, ['-c',
      'import sys,nacl.public as p;print(p.SealedBox(p.PrivateKey(bytes.fromhex(sys.argv[1]))).decrypt(bytes.fromhex(sys.argv[2])).decode())',
      keys.Charlie.sealSecret, jupyter.sealedToken.toHex().slice(2)]);
    assert.notEqual(wrong.status, 0);
  });

  it('notices a container killed mid-lease and starts it again, with the same host key', { timeout: TEST_TIMEOUT_MS }, async () => {
    const lease = leases.Bob;
    assert.equal(docker('kill', container(lease)).status, 0);
    await waitFor('the restart counted', async () => (await metric('gpux_worker_lease_restarts_total')) >= 1, 60_000);
    await waitFor('the container running again', async () =>
      docker('inspect', '-f', '{{.State.Status}}', container(lease)).stdout.trim() === 'running', 60_000);
    assert.match(running.log, /stopped mid-lease; starting it again/);
    const endpoint = await started(lease);
    const again = await waitFor('SSH again', async () => {
      const login = sshAs('Bob', endpoint, 'echo back');
      return login.status === 0 ? login.stdout.trim() : null;
    }, 60_000, 1_000);
    assert.equal(again, 'back');
  });

  it('a restarted worker finds its leases and ports again', { timeout: TEST_TIMEOUT_MS }, async () => {
    const id = docker('inspect', '-f', '{{.Id}}', container(leases.Bob)).stdout.trim();
    assert.equal(await stopWorker(), 0);
    startWorker();
    await waitFor('the worker connected again', async () => /connected/.test(running.log), 30_000);
    // A new lease after the restart: a port of its own, not one of Bob's.
    const lease = await rent('Charlie', false);
    const endpoint = await started(lease);
    const bob = await started(leases.Bob);
    assert.notEqual(endpoint.port.toNumber(), bob.port.toNumber());
    assert.notEqual(endpoint.port.toNumber(), bob.jupyter.unwrap().port.toNumber());
    assert.ok(endpoint.jupyter.isNone, 'no seal key, no Jupyter');
    assert.equal(docker('inspect', '-f', '{{.Id}}', container(leases.Bob)).stdout.trim(), id, 'Bob\'s container was kept');
    assert.equal(await metric('gpux_worker_lease_restarts_total'), 0);
    assert.doesNotMatch(running.log, /vanished/);
  });

  it('one renter\'s container reaches neither another\'s nor the host\'s own services', { timeout: TEST_TIMEOUT_MS }, async () => {
    const inspect = (what) => docker('inspect', '-f', `{{range .NetworkSettings.Networks}}{{.${what}}}{{end}}`, container(leases.Charlie)).stdout.trim();
    const bobIp = docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container(leases.Bob)).stdout.trim();
    assert.match(bobIp, /^\d+\.\d+\.\d+\.\d+$/);
    // A service of the host listening on every address, as a node's p2p port does.
    const server = createServer((_, res) => res.end('host')).listen(0, '0.0.0.0');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const endpoint = await started(leases.Charlie);
      const reach = (host, port) => `timeout 5 bash -c 'echo > /dev/tcp/${host}/${port}' 2>/dev/null && echo reached || echo blocked`;
      const probe = sshAs('Charlie', endpoint, `${reach(bobIp, 22)}; ${reach(inspect('Gateway'), server.address().port)}`);
      assert.equal(probe.status, 0, probe.stderr);
      assert.deepEqual(probe.stdout.trim().split('\n'), ['blocked', 'blocked']);
      // The same service from the host itself answers: the block is the lease's firewall rule.
      assert.equal(await (await fetch(`http://127.0.0.1:${server.address().port}/`)).text(), 'host');
    } finally {
      server.close();
    }
  });

  it('terminating removes the container, then attests the end', { timeout: TEST_TIMEOUT_MS }, async () => {
    const lease = leases.Bob;
    await submit(api, api.tx.leases.terminate(lease), keyring.addFromUri('//Bob'));
    await waitFor('the end attestation', async () => {
      const a = await api.query.attestation.leaseAttestations(lease);
      return a.isSome && a.unwrap().ended.isSome;
    }, 60_000);
    assert.notEqual(docker('inspect', container(lease)).status, 0, 'the container is gone');
    assert.notEqual(docker('network', 'inspect', `${container(lease)}-net`).status, 0, 'its network is gone');
    assert.throws(() => readFileSync(join(dir, 'leases', '.docker', 'hostkeys', `lease-${lease}`, 'ssh_host_ed25519_key.pub')),
      'its host key is gone');
    assert.equal(await metric('gpux_worker_leases_ended_total'), 1);
  });
});
