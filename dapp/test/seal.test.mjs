import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { u8aToHex, hexToU8a } from '@polkadot/util';
import { newSealKeyPair, openSealed, seal } from '../src/lib/seal.js';

test('a token sealed by libsodium opens with the seal secret and not with another', () => {
  const pair = newSealKeyPair();
  // PyNaCl is libsodium: the same crypto_box_seal the worker's crypto_box crate implements.
  const sealed = execFileSync('/usr/bin/python3', ['-c',
    'import sys,nacl.public as p;print(p.SealedBox(p.PublicKey(bytes.fromhex(sys.argv[1]))).encrypt(b"token-48").hex())',
    u8aToHex(pair.publicKey).slice(2)], { encoding: 'utf8' }).trim();
  assert.equal(new TextDecoder().decode(openSealed(hexToU8a(`0x${sealed}`), pair.secretKey)), 'token-48');
  assert.equal(openSealed(hexToU8a(`0x${sealed}`), newSealKeyPair().secretKey), null);
});

test('what this module seals, libsodium opens', () => {
  const pair = newSealKeyPair();
  const sealed = seal(new TextEncoder().encode('abc'), pair.publicKey);
  const opened = execFileSync('/usr/bin/python3', ['-c',
    'import sys,nacl.public as p;print(p.SealedBox(p.PrivateKey(bytes.fromhex(sys.argv[1]))).decrypt(bytes.fromhex(sys.argv[2])).decode())',
    u8aToHex(pair.secretKey).slice(2), u8aToHex(sealed).slice(2)], { encoding: 'utf8' }).trim();
  assert.equal(opened, 'abc');
});

test('a box too short to hold a key and a tag is not opened', () => {
  assert.equal(openSealed(new Uint8Array(40), newSealKeyPair().secretKey), null);
});
