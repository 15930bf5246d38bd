// The four validators of chain-specs/local.json on loopback, and gpux-worker processes serving
// machines on them: what the local-network and fault suites share.
import { spawn, spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit, Node, submit, waitFor } from './node.mjs';

export const CHAIN_SPEC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'chain-specs', 'local.json');
// Alice's well-known libp2p key and peer id, so the others can use her as their bootnode.
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
export const SLOT_MS = 6_000;
export const UNIT = 10n ** 12n;
export const MILLI = 10n ** 9n;
export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT renter@e2e';
export const WORKER_BIN = process.env.GPUX_WORKER
  ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'gpux-target'), 'release', 'gpux-worker');

/** Starts Alice (the bootnode), Bob, Charlie and Dave, each with its own base path; waits for RPC. */
export async function startLocalNetwork () {
  const nodes = {};
  nodes.alice = await Node.create('alice', ['--chain', CHAIN_SPEC, '--alice', '--node-key', ALICE_NODE_KEY]);
  const bootnode = `/ip4/127.0.0.1/tcp/${nodes.alice.p2pPort}/p2p/${ALICE_PEER_ID}`;
  for (const name of ['bob', 'charlie', 'dave']) {
    nodes[name] = await Node.create(name, ['--chain', CHAIN_SPEC, `--${name}`,
      '--bootnodes', bootnode, '--unsafe-force-node-key-generation']);
  }
  for (const node of Object.values(nodes)) node.start();
  try {
    // Four nodes compiling the runtime at once on a busy 2-core machine: minutes, not seconds.
    await Promise.all(Object.values(nodes).map((node) => node.waitForRpc(180_000)));
  } catch (e) {
    await stopLocalNetwork(nodes);
    throw e;
  }
  return nodes;
}

/** Stops every node of `nodes` and removes their base paths. */
export async function stopLocalNetwork (nodes) {
  await Promise.all(Object.values(nodes).map((node) => node.stop()));
  for (const node of Object.values(nodes)) node.removeBasePath();
}

/** Waits until every node of `nodes` sees `peers` others. */
export function waitForPeers (nodes, peers = Object.keys(nodes).length - 1, timeoutMs = 60_000) {
  return waitFor(`every validator to see ${peers} others`, async () => {
    const seen = await Promise.all(Object.values(nodes).map(async (n) => (await n.rpc('system_health')).peers));
    return seen.every((p) => p >= peers);
  }, timeoutMs);
}

/** Waits until every node of `nodes` has finalized block `number`. */
export function waitForFinalized (nodes, number, timeoutMs) {
  return waitFor(`block ${number} to be finalized on ${Object.values(nodes).map((n) => n.name).join(', ')}`, async () => {
    const finalized = await Promise.all(Object.values(nodes).map((n) => n.finalizedNumber()));
    return finalized.every((f) => f >= number);
  }, timeoutMs);
}

/**
 * A machine served by `gpux-worker --simulate 2xRTX4090` with its keystore at `keystore`: `init`
 * and `register` it for the provider `providerUri` (already a provider with a bond), list it at
 * 0.5 GPUX on demand, then `start()` runs the worker (again after `kill()`).
 */
export class Worker {
  constructor ({ nodeUrl, keystore, workspaces }) {
    this.common = ['--node', nodeUrl, '--keystore', keystore, '--simulate', '2xRTX4090'];
    this.workspaces = workspaces;
    this.log = '';
  }

  run (args) {
    return spawnSync(WORKER_BIN, [...this.common, ...args], { encoding: 'utf8', timeout: 120_000 });
  }

  /** Registers and lists the machine; resolves with its id. */
  async provide (api, provider, providerUri) {
    const init = this.run(['init']);
    if (init.status !== 0) throw new Error(`gpux-worker init: ${init.stderr}`);
    const registered = this.run(['register', '--provider-suri', providerUri]);
    if (registered.status !== 0) throw new Error(`gpux-worker register: ${registered.stderr}`);
    this.machine = Number(registered.stdout.match(/registered: machine (\d+)/)[1]);
    await submit(api, api.tx.marketplace.setListing(this.machine, {
      onDemandPrice: 500n * MILLI, spotFloorPrice: 200n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 10_000,
      availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
    }), provider);
    return this.machine;
  }

  start () {
    this.process = killOnExit(spawn(WORKER_BIN, [...this.common, 'run', '--machine', `${this.machine}`,
      '--workspaces', this.workspaces, '--public-host', 'gpu.example.net', '--ssh-port', '2222'],
    { stdio: ['ignore', 'pipe', 'pipe'] }));
    const keep = (d) => { this.log = (this.log + d).slice(-20_000); };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
    return this;
  }

  async kill () {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** The last heartbeat window the chain recorded for `machine`, or -1 before the first. */
export async function lastHeartbeatWindow (api, machine) {
  const record = await api.query.attestation.heartbeats(machine);
  return record.isSome && record.unwrap().receivedAt.isSome ? record.unwrap().lastWindow.toNumber() : -1;
}
