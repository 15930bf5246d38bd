// Bad input to gpux-node: a clear message and a non-zero exit, never a panic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, NODE_BIN, TEST_TIMEOUT_MS } from './lib/node.mjs';

const base = mkdtempSync(join(tmpdir(), 'gpux-cli-'));
after(() => rmSync(base, { recursive: true, force: true }));

function runNode (args) {
  const result = spawnSync(NODE_BIN, [...args, '--no-telemetry', '--no-mdns', '--no-prometheus'], {
    encoding: 'utf8', timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function assertCleanFailure ({ status, output }, expected) {
  assert.notEqual(status, 0, `expected a failure, got exit 0:\n${output}`);
  assert.notEqual(status, null, `the node did not exit by itself:\n${output}`);
  assert.doesNotMatch(output, /panicked|stack backtrace/i, output);
  assert.match(output, expected);
}

describe('gpux-node refuses bad input clearly', () => {
  it('an unknown --chain', { timeout: TEST_TIMEOUT_MS }, () => {
    assertCleanFailure(runNode(['--chain', 'no-such-chain', '--base-path', join(base, 'a')]),
      /unknown chain `no-such-chain`/);
  });

  it('a malformed --sealing', { timeout: TEST_TIMEOUT_MS }, () => {
    assertCleanFailure(runNode(['--dev', '--sealing', 'fast', '--base-path', join(base, 'b')]),
      /unknown sealing `fast`/);
  });

  it('local sealing on a shared chain', { timeout: TEST_TIMEOUT_MS }, async () => {
    assertCleanFailure(runNode(['--chain', 'local', '--sealing', 'instant', '--tmp',
      '--rpc-port', String(await freePort()),
      '--listen-addr', '/ip4/127.0.0.1/tcp/0', '--unsafe-force-node-key-generation']),
    /only allowed on development chains/);
  });

  it('an RPC port already in use', { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    try {
      const result = runNode(['--dev', '--base-path', join(base, 'c'), '--rpc-port', String(port),
        '--listen-addr', '/ip4/127.0.0.1/tcp/0']);
      assertCleanFailure(result, /RPC address 127.0.0.1:\d+ is already in use/);
    } finally {
      server.close();
    }
  });

  it('a p2p port already in use', { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    try {
      const result = runNode(['--dev', '--base-path', join(base, 'f'), '--rpc-port', String(await freePort()),
        '--listen-addr', `/ip4/127.0.0.1/tcp/${port}`]);
      assertCleanFailure(result, /p2p address 127.0.0.1:\d+ is already in use/);
    } finally {
      server.close();
    }
  });

  it('a Prometheus port already in use', { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    try {
      // runNode adds --no-prometheus, so this one spawns the node itself.
      const result = spawnSync(NODE_BIN, ['--dev', '--base-path', join(base, 'g'), '--no-telemetry', '--no-mdns',
        '--rpc-port', String(await freePort()), '--listen-addr', '/ip4/127.0.0.1/tcp/0',
        '--prometheus-port', String(port)], { encoding: 'utf8', timeout: 60_000 });
      assertCleanFailure({ status: result.status, output: `${result.stdout}${result.stderr}` },
        /Prometheus address 127.0.0.1:\d+ is already in use/);
    } finally {
      server.close();
    }
  });

  it('a validator without a network key', { timeout: TEST_TIMEOUT_MS }, async () => {
    assertCleanFailure(runNode(['--chain', 'local', '--validator', '--base-path', join(base, 'd'),
      '--rpc-port', String(await freePort()), '--listen-addr', '/ip4/127.0.0.1/tcp/0']),
    /network key|NetworkKeyNotFound/i);
  });
});
