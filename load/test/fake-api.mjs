// A small in-memory stand-in for @polkadot/api, enough to drive setup, pre-signing and the
// keeper through their control flow without a node. It models the few storage items and calls
// they use, as the harness assumes the chain shapes them: it checks the harness's logic, not
// those assumptions (README "What is untested").
import { blake2AsHex } from '@polkadot/util-crypto';

const num = (n) => ({ toNumber: () => Number(n), toBigInt: () => BigInt(n), toString: () => String(n), toHex: () => `0x${BigInt(n).toString(16)}` });
const big = (n) => num(n);
const some = (v) => ({ isSome: true, isNone: false, unwrap: () => v, unwrapOr: () => v });
const none = () => ({ isSome: false, isNone: true, unwrap: () => { throw new Error('unwrap of None'); }, unwrapOr: (d) => d });
const opt = (v) => (v === undefined || v === null ? none() : some(v));
const keyOf = (u8a) => Buffer.from(u8a).toString('hex');

/** `plain`: a chain with only System, Balances and Sudo, like the solochain template. */
export function fakeApi ({ mfp = 10n ** 12n, interval = 10, plain = false } = {}) {
  const state = {
    best: 100,
    nonces: new Map(),
    free: new Map(),
    providers: new Set(),
    bonds: new Map(),
    machines: new Map(),
    byWorker: new Map(),
    nextMachine: 1,
    leases: new Map(),
    nextLease: 0,
    jobs: [],
    submitted: [],
    calls: [],
  };
  const event = (section, method, data) => ({ event: { section, method, data } });

  const apply = (signer, tx) => {
    const call = tx.call;
    state.calls.push(`${call.section}.${call.method}`);
    const [a, b, , d] = call.args;
    const who = signer.address;
    switch (`${call.section}.${call.method}`) {
      case 'utility.batchAll': return call.args[0].flatMap((inner) => apply(signer, inner));
      case 'sudo.sudo': return [...apply(signer, a), event('sudo', 'Sudid', { sudoResult: { isErr: false } })];
      case 'balances.forceSetBalance': state.free.set(a, BigInt(b)); return [];
      case 'balances.transferKeepAlive': state.free.set(a, (state.free.get(a) ?? 0n) + BigInt(b)); return [];
      case 'marketplace.registerProvider': state.providers.add(who); return [];
      case 'providerStaking.bond': state.bonds.set(who, (state.bonds.get(who) ?? 0n) + BigInt(a)); return [];
      case 'marketplace.registerMachine': {
        const id = state.nextMachine++;
        state.machines.set(id, { provider: who, gpus: a.gpuCount, listing: null, leased: 0 });
        state.byWorker.set(keyOf(b), id);
        return [event('marketplace', 'MachineRegistered', { machine: num(id) })];
      }
      case 'marketplace.setListing': state.machines.get(a).listing = b; return [];
      case 'leases.rent': {
        const id = state.nextLease++;
        state.machines.get(a).leased += b;
        state.leases.set(id, { renter: who, machine: a, closed: false });
        return [event('leases', 'Rented', { lease: num(id), machine: num(a) })];
      }
      case 'leases.terminate': {
        const l = state.leases.get(a);
        if (!l || l.closed || l.renter !== who) throw new Error('leases.NotRenter');
        l.closed = true;
        state.machines.get(l.machine).leased -= 1;
        return [event('leases', 'Closed', { lease: num(a) })];
      }
      case 'marketplace.postJob': {
        const id = state.jobs.length;
        state.jobs.push({ window: d });
        return [event('marketplace', 'JobPosted', { job: num(id) })];
      }
      default: throw new Error(`fake chain: no ${call.section}.${call.method}`);
      // (attestation calls are only submitted raw, never applied here)
    }
  };

  const makeTx = (section, method, args) => {
    const tx = {
      call: { section, method, args },
      sign (pair, options) {
        if (options.nonce === undefined || !options.runtimeVersion || !options.genesisHash) throw new Error('incomplete signing options');
        this.signer = pair.address;
        this.nonce = options.nonce;
        return this;
      },
      toHex () { return `0x${Buffer.from(JSON.stringify([section, method, this.signer ?? null, this.nonce ?? null, args], (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? keyOf(v) : v))).toString('hex')}`; },
      get hash () { const hex = this.toHex(); return { toHex: () => blake2AsHex(hex, 256) }; },
      signAndSend (pair, options, callback) {
        const nonce = options.nonce ?? state.nonces.get(pair.address) ?? 0;
        const expected = state.nonces.get(pair.address) ?? 0;
        if (nonce < expected) return Promise.reject(new Error(`stale nonce ${nonce} < ${expected}`));
        state.nonces.set(pair.address, nonce + 1);
        setImmediate(() => {
          let events;
          try {
            events = apply(pair, this);
          } catch (e) {
            callback({ status: { isInBlock: true, asInBlock: '0x01', type: 'InBlock' }, events: [], dispatchError: { toString: () => e.message } });
            return;
          }
          state.best++;
          callback({ status: { isInBlock: true, asInBlock: `0x${state.best.toString(16)}`, type: 'InBlock' }, events, dispatchError: null });
        });
        return Promise.resolve(() => {});
      },
    };
    tx.method = { args: args.map((arg) => ({ toU8a: () => Buffer.from(JSON.stringify(arg, (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? keyOf(v) : v))) })) };
    return tx;
  };

  const plainSections = new Set(['system', 'balances', 'sudo']);
  const tx = new Proxy({}, {
    get: (_, section) => (plain && !plainSections.has(section)
      ? undefined
      : new Proxy({}, { get: (__, method) => (...args) => makeTx(section, method, args) })),
  });
  const multi = (fn) => ({ multi: async (keys) => keys.map(fn) });

  const api = {
    state,
    genesisHash: { toU8a: () => new Uint8Array(32).fill(7), toHex: () => `0x${'07'.repeat(32)}` },
    runtimeVersion: { specVersion: num(100) },
    registry: { signedExtensions: [], chainSS58: 42, createType: (type, value) => ({ type, value }) },
    extrinsicType: 4,
    tx,
    events: new Proxy({}, { get: (_, section) => new Proxy({}, { get: (__, method) => ({ is: (e) => e.section === section && e.method === method }) }) }),
    consts: {
      providerStaking: { minBondPerGpu: big(100n * 10n ** 12n) },
      marketplace: { providerDeposit: big(10n ** 12n), machineDeposit: big(4n * 10n ** 12n), orderDeposit: big(4n * 10n ** 12n),
        jobDeposit: big(5n * 10n ** 12n), bidDeposit: big(10n ** 12n), minBidWindow: num(10), maxBidWindow: num(14400), maxOrderLifetime: num(100800) },
      leases: { minEscrow: big(10n ** 10n), blocksPerHour: num(600) },
      attestation: { maxTrackedMachines: num(5000), heartbeatInterval: num(interval) },
      balances: { existentialDeposit: big(10n ** 9n) },
    },
    call: {
      marketplaceApi: { mfp: async () => some(big(mfp)) },
      leasesApi: {
        leasesOf: async (address) => [...state.leases.entries()].filter(([, l]) => l.renter === address)
          .map(([id, l]) => [num(id), { status: { isClosed: l.closed }, machine: num(l.machine) }]),
      },
    },
    query: {
      sudo: { key: async () => some({ toString: () => state.sudo }) },
      attestation: {
        trackedMachineCount: async () => num([...state.machines.values()].filter((m) => m.listing).length),
        heartbeatWindows: async () => some({ block: num(0), window: num(0), interval: num(interval) }),
        leaseAttestations: multi(() => none()),
      },
      system: { account: multi((address) => ({ data: { free: big(state.free.get(address) ?? 0n) }, nonce: num(state.nonces.get(address) ?? 0) })) },
      marketplace: {
        machineOfWorkerKey: multi((key) => opt(state.byWorker.has(keyOf(key)) ? num(state.byWorker.get(keyOf(key))) : null)),
        machines: multi((id) => {
          const m = state.machines.get(id);
          return opt(m && { provider: { toString: () => m.provider }, listing: opt(m.listing), leasedGpus: num(m.leased) });
        }),
        providers: multi((address) => opt(state.providers.has(address) ? {} : null)),
      },
      providerStaking: { bonds: multi((address) => opt(state.bonds.has(address) ? { active: big(state.bonds.get(address)) } : null)) },
    },
    rpc: {
      system: { accountNextIndex: async (address) => num(state.nonces.get(address) ?? 0) },
      chain: {
        getHeader: async () => ({ number: num(state.best), hash: '0xbest' }),
        getFinalizedHead: async () => '0xfinal',
      },
    },
  };
  if (plain) {
    for (const section of ['providerStaking', 'marketplace', 'leases', 'attestation']) delete api.consts[section];
    for (const section of ['attestation', 'marketplace', 'providerStaking']) delete api.query[section];
    api.call = {};
  }
  return api;
}
