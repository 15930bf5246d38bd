// Connections to the node and the setup phase's way of sending transactions: every wait is
// bounded, every failure names what failed.
import { ApiPromise, WsProvider } from '@polkadot/api';

export class ChainError extends Error {}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a ChainError naming `what` after `ms`. */
export function withTimeout (promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ChainError(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until truthy or `timeoutMs` passes (then a ChainError naming `what`). */
export async function waitFor (what, check, timeoutMs, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) { last = e; }
    await sleep(everyMs);
  }
  throw new ChainError(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** A WebSocket JSON-RPC connection without reconnects, ready, within `timeoutMs`. */
export async function rawConnection (url, timeoutMs = 15_000) {
  const provider = new WsProvider(url, false, {}, 120_000);
  try {
    await withTimeout(provider.connect(), timeoutMs, `connecting to ${url}`);
    await withTimeout(provider.isReady, timeoutMs, `connecting to ${url}`);
  } catch (e) {
    await provider.disconnect().catch(() => {});
    throw new ChainError(`cannot reach ${url}: ${e.message}`);
  }
  return provider;
}

/** An ApiPromise on `url`, within `timeoutMs`. */
export async function connectApi (url, timeoutMs = 30_000) {
  // Reconnects (every 2.5 s) like e2e's; `throwOnConnect` and the timeout bound the first try.
  const provider = new WsProvider(url, 2500, {}, 120_000);
  try {
    return await withTimeout(ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }), timeoutMs,
      `the API on ${url}`);
  } catch (e) {
    await provider.disconnect().catch(() => {});
    throw new ChainError(`cannot reach ${url}: ${e.message}`);
  }
}

export async function bestNumber (api) {
  return (await api.rpc.chain.getHeader()).number.toNumber();
}

/**
 * Wall-clock ms between blocks: the mean gap over the next `blocks` new heads. The
 * subscription's first notification is the current head (not a new block), so gaps are taken
 * from the first new one. Needs a node that produces blocks by itself (not instant or manual
 * sealing).
 */
export async function measureBlockTime (api, blocks = 2, timeoutMs = 60_000) {
  const times = [];
  let unsubscribe = () => {};
  let stopped = false;
  const done = new Promise((resolve) => {
    api.rpc.chain.subscribeNewHeads(() => {
      times.push(Date.now());
      if (times.length >= blocks + 2) resolve();
    }).then((u) => { unsubscribe = u; if (stopped) u(); });
  });
  try {
    await withTimeout(done, timeoutMs, `${blocks + 1} new blocks (is the node producing blocks by itself?)`);
  } finally {
    stopped = true;
    unsubscribe();
  }
  return (times[times.length - 1] - times[1]) / (times.length - 2);
}

/** The name of a dispatch error, e.g. `leases.NoFreeGpus`, or its text. */
export function dispatchErrorName (api, dispatchError) {
  if (dispatchError?.isModule) {
    try {
      const { section, name } = api.registry.findMetaError(dispatchError.asModule);
      return `${section}.${name}`;
    } catch { /* fall through */ }
  }
  return dispatchError?.toString() ?? 'unknown';
}

/**
 * Signs `tx` with `pair` (at `nonce` if given) and waits, at most `timeoutMs`, until it is in
 * a block. Resolves with { blockHash, events } (the transaction's own events); rejects with
 * the dispatch error's name, or if the pool refuses or drops it. A `utility.batchAll` that
 * fails reports the failing call's error.
 */
export function sendAndWait (api, tx, pair, { nonce, timeoutMs = 120_000, what = 'a setup transaction' } = {}) {
  let unsubscribe = () => {};
  let settled = false;
  const inBlock = new Promise((resolve, reject) => {
    const options = nonce === undefined ? {} : { nonce };
    tx.signAndSend(pair, options, (result) => {
      const { status, events, dispatchError } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        reject(new ChainError(`${what}: the pool reports it ${status.type}`));
        return;
      }
      if (!status.isInBlock && !status.isFinalized) return;
      if (dispatchError) {
        reject(new ChainError(`${what}: ${dispatchErrorName(api, dispatchError)}`));
        return;
      }
      resolve({ blockHash: status.isInBlock ? status.asInBlock : status.asFinalized, events });
    }).then((u) => { unsubscribe = u; if (settled) u(); }, (e) => reject(new ChainError(`${what}: ${e.message}`)));
  });
  return withTimeout(inBlock, timeoutMs, what).finally(() => { settled = true; unsubscribe(); });
}

/**
 * Sends every item's transaction and waits for all to be in blocks. `items`: [{ pair, tx, what }].
 * An account's transactions get consecutive nonces (from its next index) and are sent in order
 * without waiting for each other; at most `concurrency` are in flight. Rejects with the first
 * failure (the rest still settle, bounded by `timeoutMs` each).
 */
export async function sendAll (api, items, { concurrency = 64, timeoutMs = 180_000, onResult } = {}) {
  const nonces = new Map();
  for (const item of items) {
    const address = item.pair.address;
    if (!nonces.has(address)) nonces.set(address, (await api.rpc.system.accountNextIndex(address)).toNumber());
    item.nonce = nonces.get(address);
    nonces.set(address, item.nonce + 1);
  }
  const results = new Array(items.length);
  let next = 0;
  let failure = null;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      try {
        results[index] = await sendAndWait(api, item.tx, item.pair, { nonce: item.nonce, timeoutMs, what: item.what });
        onResult?.(item, results[index]);
      } catch (e) {
        failure ??= e;
        results[index] = { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (failure) throw failure;
  return results;
}

/** `query.multi(keys)` in chunks of `size` keys: one RPC stays small whatever the plan. */
export async function multi (query, keys, size = 1000) {
  const out = [];
  for (let i = 0; i < keys.length; i += size) out.push(...await query.multi(keys.slice(i, i + size)));
  return out;
}

/** The events of `section.method` among `events` (a transaction's result). */
export function eventsOf (api, events, section, method) {
  return events.filter(({ event }) => api.events[section]?.[method]?.is(event)).map(({ event }) => event);
}

/**
 * Reads `attestation.heartbeatWindows` as plain numbers, with the launch default if unset; null
 * on a chain without attestation.
 */
export async function heartbeatWindows (api) {
  if (!api.query.attestation) return null;
  const stored = await api.query.attestation.heartbeatWindows();
  if (stored.isSome) {
    const a = stored.unwrap();
    return { block: a.block.toNumber(), window: a.window.toNumber(), interval: a.interval.toNumber() };
  }
  return { block: 0, window: 0, interval: api.consts.attestation.heartbeatInterval.toNumber() };
}

/** An Option-or-value runtime API result as a bigint. */
export function balanceOf (value) {
  const v = value?.isSome !== undefined ? (value.isSome ? value.unwrap() : null) : value;
  if (v === null || v === undefined) return null;
  return v.toBigInt ? v.toBigInt() : BigInt(v.toString());
}
