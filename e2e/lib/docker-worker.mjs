// A provider's machine for client tests: gpux-worker with the Docker backend (the lease image of
// scripts/build-lease-image.sh, dockerd running) registered for Ferdie and listed with SSH and
// Jupyter, and renters' SSH keys. Ports on 127.0.0.1 only.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { killOnExit, submit } from './node.mjs';

export const WORKER_BIN = process.env.GPUX_WORKER
  ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'gpux-target'), 'release', 'gpux-worker');
export const IMAGE = process.env.GPUX_LEASE_IMAGE ?? 'gpux/lease:1';
const MILLI = 10n ** 9n;

export const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });

/** The ed25519 host key that answers SSH on 127.0.0.1:`port`: its known_hosts line and key blob. */
export function scanHostKey (port) {
  const scan = run('ssh-keyscan', ['-T', '5', '-p', `${port}`, '-t', 'ed25519', '127.0.0.1']);
  const line = scan.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
  assert.ok(line, `ssh-keyscan found no key: ${scan.stderr}`);
  return { line: line.trim(), blob: Buffer.from(line.trim().split(/\s+/)[2], 'base64') };
}

/** `SHA256:…` of the host key on `port`, as OpenSSH prints it. */
export function scanFingerprint (port) {
  return `SHA256:${createHash('sha256').update(scanHostKey(port).blob).digest('base64').replace(/=+$/, '')}`;
}

/** Fails the suite, naming what to start or build, unless dockerd runs and the lease image exists. */
export function requireDocker () {
  for (const [what, check] of [['dockerd', run('docker', ['version', '--format', '{{.Server.Version}}'])],
    [`the lease image ${IMAGE} (scripts/build-lease-image.sh)`, run('docker', ['image', 'inspect', IMAGE])]]) {
    assert.equal(check.status, 0, `${what} is needed: ${check.stderr}`);
  }
}

/**
 * Creates the worker's machine key (`common`: its `--node`, `--keystore`, `--simulate`
 * arguments), registers the machine for Ferdie and lists it with SSH and Jupyter at 0.5 GPUX;
 * resolves with the machine's id.
 */
export async function provideMachine ({ api, keyring, common }) {
  assert.equal(run(WORKER_BIN, [...common, 'init']).status, 0);
  const register = run(WORKER_BIN, [...common, 'register', '--provider-suri', '//Ferdie'], { timeout: 120_000 });
  assert.equal(register.status, 0, register.stderr);
  const machine = Number(register.stdout.match(/registered: machine (\d+)/)[1]);
  await submit(api, api.tx.marketplace.setListing(machine, {
    onDemandPrice: 500n * MILLI, spotFloorPrice: 200n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 10_000,
    availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: true, api: false },
  }), keyring.addFromUri('//Ferdie'));
  return machine;
}

/** The worker's `run` arguments for a Docker-backed machine on 127.0.0.1 ports `ports` ("a-b"). */
export const dockerRunArgs = ({ common, machine, dir, ports, image = IMAGE }) => [...common, 'run', '--machine', `${machine}`,
  '--workspaces', join(dir, 'leases'), '--provisioner', 'docker', '--public-host', '127.0.0.1', '--bind', '127.0.0.1',
  '--port-range', ports, '--docker-image', image];

export class DockerWorker {
  /** Registers a machine for Ferdie, lists it (SSH and Jupyter, 0.5 GPUX), runs its worker. */
  static async start ({ api, keyring, nodeUrl, dir, portBase = 43_000 + (process.pid % 200) * 20 }) {
    requireDocker();
    const w = new DockerWorker();
    w.dir = dir;
    w.common = ['--node', nodeUrl, '--keystore', join(dir, 'machine.key'), '--simulate', '2xRTX4090'];
    w.machine = await provideMachine({ api, keyring, common: w.common });
    const args = dockerRunArgs({ common: w.common, machine: w.machine, dir, ports: `${portBase}-${portBase + 9}` });
    w.process = killOnExit(spawn(WORKER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    w.log = '';
    const keep = (d) => { w.log = (w.log + d).slice(-20_000); };
    w.process.stdout.on('data', keep);
    w.process.stderr.on('data', keep);
    w.exited = new Promise((resolve) => w.process.once('exit', resolve));
    return w;
  }

  /** A new SSH key pair for `who` in the worker's directory; returns its public line. */
  renterKey (who) {
    const file = join(this.dir, `id_${who}`);
    if (!existsSync(file)) {
      assert.equal(run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${who}@e2e`, '-f', file]).status, 0);
    }
    return readFileSync(`${file}.pub`, 'utf8').trim();
  }

  scanFingerprint (port) { return scanFingerprint(port); }

  /** Stops the worker and removes the containers and networks of `leases` (ids). */
  async stop (leases = []) {
    this.process.kill('SIGTERM');
    await this.exited;
    for (const lease of leases) {
      run('docker', ['rm', '-f', '-v', `gpux-lease-${lease}`]);
      run('docker', ['network', 'rm', `gpux-lease-${lease}-net`]);
    }
  }
}
