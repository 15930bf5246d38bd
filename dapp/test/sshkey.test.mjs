// The keys of pallets/primitives/src/access.rs's tests, through the browser's copy of the check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sshKeyBlob, sshKeyError } from '../src/lib/sshkey.js';

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT renter@laptop';
const ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKYRzVhX59hXq8QtQR2wJbP1GzU9w/aiJvIhZI0WmIyGnBltWPVgc7uJL7j91Yky1ST1EEkgWBaG1IzwYhKdet8=';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCyUVboNHqoKxHGCJj+ukg83rrZNr2zEN6WQw3kqDiEsLkU37ZF4eree4EqFHl3+iq5TUieuMVlRgrLa5pu4rMjshqQbMyjhEUOXlmuUKK8oZvV7LowSM1Wav4kSZTt73Khb0jnvZqpQAQBVP5sku3lN712gsviWTLALDLggI0adGouHqLE5xcm/52CQUgy+ojNZTFSDuhbetUmtfxtsTCAIUqAYYn2V4vt0n5Gi/QQCP2gsn5/KQuh0PKhPh7yDqFjiP+CvqncGfY8j11x6XSy4JETstrLPKgzK5I0N5zbqCRuycEbDHmikTchQpllG5Kz55uuRe8pMXUMdeBI4+T/ x';

test('keys as ssh-keygen writes them pass', () => {
  for (const key of [ED25519, ED25519.slice(0, -14), ECDSA, RSA]) assert.equal(sshKeyError(key), null, key);
  assert.equal(sshKeyBlob(ED25519).length, 51);
});

test('malformed keys are refused with the chain\'s reason', () => {
  assert.equal(sshKeyError(`${ED25519}\nssh-ed25519 AAAA`), 'NotOneLine');
  assert.equal(sshKeyError(''), 'NotOneLine');
  assert.equal(sshKeyError('hello'), 'UnknownType');
  assert.equal(sshKeyError(`command="sh" ${ED25519}`), 'UnknownType');
  assert.equal(sshKeyError('ssh-dss AAAAB3NzaC1kc3M='), 'UnknownType');
  assert.equal(sshKeyError(`ssh-rsa ${ED25519.slice(12)}`), 'BadKeyData');
  assert.equal(sshKeyError(`${ED25519.slice(0, 40)}!${ED25519.slice(41)}`), 'BadKeyData');
  assert.equal(sshKeyError(ED25519.slice(0, 40) + ED25519.slice(41)), 'BadKeyData');
  assert.equal(sshKeyError('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA='), 'BadKeyData');
  assert.equal(sshKeyError('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAA=='), 'BadKeyData', 'a zero modulus');
  assert.equal(sshKeyError(`${ED25519} ${'c'.repeat(1024)}`), 'TooLong');
});
