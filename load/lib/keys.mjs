// Every account and worker key of a run, derived from `--seed`: the same seed gives the same
// keys, so a second run finds the first one's providers, machines and leases and reuses them.
// Keys come from a 32-byte seed each (blake2 of a label), not from a mnemonic: deriving tens of
// thousands of pairs must not cost a PBKDF2 each.
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, sr25519PairFromSeed } from '@polkadot/util-crypto';
import { keyPossessionMessage } from './codec.mjs';

export class Keys {
  constructor (ss58Format, seed) {
    this.keyring = new Keyring({ type: 'sr25519', ss58Format });
    this.seed = seed;
    this.cache = new Map();
  }

  /** The pair labelled `role`/`index` (memoized). */
  pair (role, index) {
    const label = `gpux-load/${this.seed}/${role}/${index}`;
    let pair = this.cache.get(label);
    if (!pair) {
      pair = this.keyring.createFromPair(sr25519PairFromSeed(blake2AsU8a(label, 256)), { name: `${role}-${index}` }, 'sr25519');
      this.cache.set(label, pair);
    }
    return pair;
  }

  /** A sending account of `kind`. */
  sender (kind, index) { return this.pair(`sender-${kind}`, index); }
  /** The `index`-th provider of machine pool `pool`. */
  provider (pool, index) { return this.pair(`provider-${pool}`, index); }
  /** The worker key of machine `index` of `pool`. */
  worker (pool, index) { return this.pair(`worker-${pool}`, index); }
  /** A setup-only account: renters of the settle pool's leases, submitters of jobs. */
  helper (role, index) { return this.pair(`helper-${role}`, index); }

  /** A dev account (`//Alice`), for funding. */
  dev (uri) { return this.keyring.createFromUri(uri); }

  /** What `registerMachine` takes for `worker` held by `provider`'s machine. */
  static proof (genesis, worker, provider) {
    return worker.sign(keyPossessionMessage(genesis, provider.publicKey));
  }
}

/** 16 bytes naming a GPU of a machine, as a heartbeat's `uuid_hash` would. */
export function gpuUuidHash (seed, pool, machine, gpu) {
  return blake2AsU8a(`gpux-load/${seed}/${pool}/${machine}/gpu-${gpu}`, 128);
}
