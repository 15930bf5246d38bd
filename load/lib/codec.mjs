// Byte-level helpers with no chain connection: hex, little-endian integers, SCALE compact
// lengths, the exact messages a machine's worker key signs, and heartbeat-window arithmetic.
//
// The signed messages mirror `gpux_primitives::attestation` (pallets/primitives/src/attestation.rs):
//   WorkerStatement::signing_message(genesis) = ("gpux/worker", genesis, statement).encode()
// where "gpux/worker" is a byte array (no length prefix), genesis is 32 bytes, and the statement
// is a SCALE enum: Heartbeat = 0 { machine: u64, window: u32, telemetry: blake2_256(telemetry) },
// ChallengeCommitted = 1, ChallengeRevealed = 2, LeaseStarted = 3 { lease: u64, endpoint },
// LeaseEnded = 4.

const encoder = new TextEncoder();

/** `0x…` of `bytes`. */
export function toHex (bytes) {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/** The bytes of a `0x…` (or bare) hex string; throws on odd length or non-hex. */
export function fromHex (hex) {
  const text = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new Error(`not hex: ${hex.slice(0, 20)}…`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function utf8 (text) {
  return encoder.encode(text);
}

export function concat (...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function u16le (value) {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, Number(value), true);
  return out;
}

export function u32le (value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, Number(value), true);
  return out;
}

export function u64le (value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

/** SCALE compact encoding of a length (enough for anything below 2^30). */
export function compactLength (n) {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 30) throw new Error(`compact length out of range: ${n}`);
  if (n < 1 << 6) return Uint8Array.of(n << 2);
  if (n < 1 << 14) return u16le((n << 2) | 1);
  return u32le(((n << 2) | 2) >>> 0);
}

/** SCALE `Vec<u8>` / `BoundedVec<u8, _>`. */
export function scaleBytes (bytes) {
  return concat(compactLength(bytes.length), bytes);
}

const WORKER_TAG = utf8('gpux/worker');

/** The bytes the worker key signs for `statement` on the chain with `genesis` (32 bytes). */
export function workerSigningMessage (genesis, statement) {
  if (genesis.length !== 32) throw new Error(`genesis hash must be 32 bytes, got ${genesis.length}`);
  return concat(WORKER_TAG, genesis, statement);
}

/** `WorkerStatement::Heartbeat { machine, window, telemetry }`, telemetry already hashed. */
export function heartbeatStatement (machine, window, telemetryHash) {
  if (telemetryHash.length !== 32) throw new Error('telemetry hash must be 32 bytes');
  return concat(Uint8Array.of(0), u64le(machine), u32le(window), telemetryHash);
}

const ACCESS_METHODS = { Ssh: 0, Jupyter: 1, Api: 2 };

/** SCALE `Option<T>`: 0, or 1 and `encode(value)`. */
function option (value, encode) {
  return value == null ? Uint8Array.of(0) : concat(Uint8Array.of(1), encode(value));
}

/**
 * SCALE `Endpoint { host: BoundedVec<u8>, port: u16, method: AccessMethod,
 * host_key_fingerprint: Option<[u8; 32]>, jupyter: Option<{ port: u16, sealed_token: BoundedVec<u8> }> }`.
 */
export function encodeEndpoint ({ host, port, method, hostKeyFingerprint = null, jupyter = null }) {
  if (!(method in ACCESS_METHODS)) throw new Error(`unknown access method ${method}`);
  if (hostKeyFingerprint != null && hostKeyFingerprint.length !== 32) throw new Error('a host key fingerprint is 32 bytes');
  return concat(scaleBytes(utf8(host)), u16le(port), Uint8Array.of(ACCESS_METHODS[method]),
    option(hostKeyFingerprint, (f) => Uint8Array.from(f)),
    option(jupyter, (j) => concat(u16le(j.port), scaleBytes(Uint8Array.from(j.sealedToken)))));
}

/** `WorkerStatement::LeaseStarted { lease, endpoint }`. */
export function leaseStartedStatement (lease, endpoint) {
  return concat(Uint8Array.of(3), u64le(lease), encodeEndpoint(endpoint));
}

/** `key_possession_message(genesis, provider)`: what `registerMachine`'s proof signs. */
export function keyPossessionMessage (genesis, providerPublicKey) {
  return concat(utf8('gpux/key-owner'), genesis, providerPublicKey);
}

/**
 * Heartbeat windows, as `pallet_attestation::WindowAnchor` numbers them: from `anchor.block`
 * on, window `anchor.window + (at - anchor.block) / anchor.interval`.
 * `anchor`: { block, window, interval } as plain numbers.
 */
export function windowOf (anchor, at) {
  const length = Math.max(1, anchor.interval);
  if (at >= anchor.block) return anchor.window + Math.floor((at - anchor.block) / length);
  const back = Math.ceil((anchor.block - at) / length);
  return Math.max(0, anchor.window - back);
}

/** The first block of `window`. */
export function startOfWindow (anchor, window) {
  const length = Math.max(1, anchor.interval);
  if (window >= anchor.window) return anchor.block + length * (window - anchor.window);
  return Math.max(0, anchor.block - length * (anchor.window - window));
}

/**
 * The best-block numbers during which a heartbeat for `window` may be sent: the pool checks a
 * transaction against the next block (best + 1), which must lie in `window`.
 */
export function heartbeatSendRange (anchor, window) {
  return {
    notBefore: startOfWindow(anchor, window) - 1,
    notAfter: startOfWindow(anchor, window + 1) - 2,
  };
}
