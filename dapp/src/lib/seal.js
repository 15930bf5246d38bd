// The renter's seal key: an x25519 key pair whose public half goes on chain in `access.sealKey`
// and whose secret half opens the Jupyter token the worker seals to it (libsodium's
// `crypto_box_seal`: an ephemeral key, XSalsa20-Poly1305, nonce = BLAKE2b-192(epk ‖ pk)).
import { blake2AsU8a } from '@polkadot/util-crypto';
import nacl from 'tweetnacl';

/** A fresh seal key pair: `{ publicKey, secretKey }`, 32 bytes each. */
export function newSealKeyPair () {
  return nacl.box.keyPair();
}

/** The public half of a 32-byte seal secret. */
export function sealPublicKey (secretKey) {
  return nacl.box.keyPair.fromSecretKey(secretKey).publicKey;
}

/** Opens a sealed box with the seal secret; `null` when it was not sealed to this key. */
export function openSealed (sealed, secretKey) {
  if (sealed.length < nacl.box.publicKeyLength + nacl.box.overheadLength) return null;
  const ephemeral = sealed.subarray(0, nacl.box.publicKeyLength);
  const publicKey = sealPublicKey(secretKey);
  const nonce = blake2AsU8a(concat(ephemeral, publicKey), 192);
  return nacl.box.open(sealed.subarray(nacl.box.publicKeyLength), nonce, ephemeral, secretKey);
}

/** Seals `message` to `publicKey` as the worker does (for tests). */
export function seal (message, publicKey) {
  const ephemeral = nacl.box.keyPair();
  const nonce = blake2AsU8a(concat(ephemeral.publicKey, publicKey), 192);
  return concat(ephemeral.publicKey, nacl.box(message, nonce, publicKey, ephemeral.secretKey));
}

function concat (a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
