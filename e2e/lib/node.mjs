// Starts gpux-node processes for tests: loopback only, free ports, a temporary base path each,
// and every process killed when the test run ends, however it ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';

export const NODE_BIN = process.env.GPUX_NODE
  ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'gpux-target'), 'release', 'gpux-node');

const running = new Set();

/** Kills `child` when the test run ends, however it ends, unless it has exited by then. */
export function killOnExit (child) {
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

function killAll () {
  for (const node of running) node.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { killAll(); process.exit(130); });
}

const handedOut = new Set();

/** Whether `port` can be bound on loopback right now. */
function canBind (port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port nothing listens on right now, never handed out twice. It comes from 20000–32767,
 * below Linux's ephemeral range (32768–60999): an OS-picked port (`listen(0)`) lies in that
 * range, where running nodes' outgoing connections can take it before the node binds it.
 */
export async function freePort () {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free TCP port in 20000-32767 after 200 tries');
}

/** No single test may take longer: a hung chain fails the run instead of stalling CI. */
export const TEST_TIMEOUT_MS = 240_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor (what, check, timeoutMs = 60_000, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) { last = e; }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/**
 * One gpux-node process. `args` are passed as they are; ports and the base path are added
 * unless `basePath` is given (a restart keeps its database).
 */
export class Node {
  constructor ({ name, args, basePath, rpcPort, p2pPort, prometheusPort }) {
    this.name = name;
    this.args = args;
    this.basePath = basePath;
    this.rpcPort = rpcPort;
    this.p2pPort = p2pPort;
    this.prometheusPort = prometheusPort;
    this.log = '';
  }

  static async create (name, args) {
    return new Node({
      name,
      args,
      basePath: mkdtempSync(join(tmpdir(), `gpux-${name}-`)),
      rpcPort: await freePort(),
      p2pPort: await freePort(),
      prometheusPort: await freePort(),
    });
  }

  get wsUrl () { return `ws://127.0.0.1:${this.rpcPort}`; }
  get httpUrl () { return `http://127.0.0.1:${this.rpcPort}`; }

  start () {
    const args = [
      ...this.args,
      '--base-path', this.basePath,
      '--rpc-port', String(this.rpcPort),
      '--listen-addr', `/ip4/127.0.0.1/tcp/${this.p2pPort}`,
      '--prometheus-port', String(this.prometheusPort),
      '--no-mdns', '--no-telemetry',
    ];
    this.process = killOnExit(spawn(NODE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    const keep = (chunk) => { this.log = (this.log + chunk).slice(-20_000); };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => resolve({ code, signal })));
    return this;
  }

  /** JSON-RPC over HTTP: no connection to keep, so it survives a node's restart. */
  async rpc (method, params = []) {
    const response = await fetch(this.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  }

  async bestNumber () {
    return parseInt((await this.rpc('chain_getHeader')).number, 16);
  }

  async finalizedNumber () {
    const hash = await this.rpc('chain_getFinalizedHead');
    return parseInt((await this.rpc('chain_getHeader', [hash])).number, 16);
  }

  /** Waits until RPC answers; fails at once, with the node's log, if the node exits first. */
  async waitForRpc (timeoutMs = 60_000) {
    const ready = waitFor(`${this.name}'s RPC on ${this.httpUrl}`,
      async () => (await this.rpc('system_health')) !== undefined, timeoutMs);
    const exited = this.exited.then(({ code, signal }) => {
      throw new Error(`${this.name} exited before serving RPC (code ${code}, signal ${signal}):\n${this.log}`);
    });
    await Promise.race([ready, exited]);
    return this;
  }

  async api () {
    return ApiPromise.create({ provider: new WsProvider(this.wsUrl), noInitWarn: true, throwOnConnect: true });
  }

  async stop () {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGINT');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  async kill () {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }

  removeBasePath () {
    rmSync(this.basePath, { recursive: true, force: true });
  }
}

/**
 * Signs and submits `tx`, resolving with its block hash and events once it is in a block (or
 * finalized: dev sealing may skip the in-block status). Rejects on a dispatch error, naming it.
 */
export function submit (api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (!status.isInBlock && !status.isFinalized) return;
      if (dispatchError) {
        if (dispatchError.isModule) {
          const { section, name } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${section}.${name}`));
        } else {
          reject(new Error(dispatchError.toString()));
        }
        return;
      }
      resolve({ blockHash: status.isInBlock ? status.asInBlock : status.asFinalized, events });
    }).catch(reject);
  });
}

/**
 * Submits the signed `tx` and resolves with the hash of the block that includes it, decoding
 * nothing of that block (for the block that upgrades the runtime; read its events through a
 * client connected afterwards). Rejects if the pool drops or refuses it.
 */
export function inBlock (api, tx) {
  return new Promise((resolve, reject) => {
    let done = false;
    let unsubscribe = () => {};
    const finish = (settle) => { done = true; unsubscribe(); settle(); };
    api.rpc.author.submitAndWatchExtrinsic(tx, (status) => {
      if (status.isInBlock || status.isFinalized) {
        finish(() => resolve(status.isInBlock ? status.asInBlock : status.asFinalized));
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        finish(() => reject(new Error(`the pool reports the transaction ${status.type}`)));
      }
    }).then((u) => { unsubscribe = u; if (done) u(); }, reject);
  });
}

/**
 * Submits `call` through `sudo.sudo` signed by the sudo key; rejects, naming the error, if the
 * call itself failed (sudo reports that in its `Sudid` event, not as a dispatch error).
 */
export async function sudo (api, call, signer) {
  const result = await submit(api, api.tx.sudo.sudo(call), signer);
  const { sudoResult } = findEvent(api, result.events, 'sudo', 'Sudid').data;
  if (sudoResult.isErr) {
    const error = sudoResult.asErr;
    if (error.isModule) {
      const { section, name } = api.registry.findMetaError(error.asModule);
      throw new Error(`${section}.${name}`);
    }
    throw new Error(error.toString());
  }
  return result;
}

/**
 * A machine's worker key derived from `uri` (e.g. `//worker-c1`) and its proof of possession
 * for `provider` (a keyring pair): what `registerMachine` and `setWorkerKey` take, and what
 * `gpux-worker prove-key` prints. The proof signs "gpux/key-owner" ‖ genesis hash ‖ account.
 */
export function provenWorkerKey (api, keyring, uri, provider) {
  const pair = keyring.createFromUri(uri);
  const tag = new TextEncoder().encode('gpux/key-owner');
  const genesis = api.genesisHash.toU8a();
  const message = new Uint8Array(tag.length + genesis.length + provider.addressRaw.length);
  message.set(tag, 0);
  message.set(genesis, tag.length);
  message.set(provider.addressRaw, tag.length + genesis.length);
  return { key: pair.publicKey, proof: pair.sign(message), pair };
}

/** `who`'s free balance now, in the smallest unit. */
export async function freeBalance (api, who) {
  return (await api.query.system.account(who.address)).data.free.toBigInt();
}

/** The best block's number. */
export async function bestNumber (api) {
  return (await api.rpc.chain.getHeader()).number.toNumber();
}

/** The first event of `section.method` among `events`, or throws. */
export function findEvent (api, events, section, method) {
  const found = events.find(({ event }) => api.events[section][method].is(event));
  if (!found) throw new Error(`no ${section}.${method} event among ${events.map(({ event }) => `${event.section}.${event.method}`).join(', ')}`);
  return found.event;
}

/**
 * Starts a `--dev` node named `name` and connects to it; returns the node, the API and a
 * keyring in the chain's address format. Stop it with `stopDevNode`.
 */
export async function startDevNode (name) {
  const { Keyring } = await import('@polkadot/keyring');
  const { cryptoWaitReady } = await import('@polkadot/util-crypto');
  await cryptoWaitReady();
  const node = (await Node.create(name, ['--dev'])).start();
  await node.waitForRpc();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
  return { node, api, keyring };
}

/** Disconnects and stops what `startDevNode` started, and removes its base path. */
export async function stopDevNode ({ node, api } = {}) {
  await api?.disconnect();
  await node?.stop();
  node?.removeBasePath();
}
