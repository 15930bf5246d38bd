// The four validators of chain-specs/local.json on loopback: they peer, produce and finalize
// blocks; finality survives losing one; the lost one catches up when it returns.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Node, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const CHAIN_SPEC = join(dirname(fileURLToPath(import.meta.url)), '..', 'chain-specs', 'local.json');
// Alice's well-known libp2p key and peer id, so the others can use her as their bootnode.
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const SLOT_MS = 6_000;

describe('a 4-validator local network', () => {
  const nodes = {};

  before(async () => {
    nodes.alice = await Node.create('alice', ['--chain', CHAIN_SPEC, '--alice', '--node-key', ALICE_NODE_KEY]);
    const bootnode = `/ip4/127.0.0.1/tcp/${nodes.alice.p2pPort}/p2p/${ALICE_PEER_ID}`;
    for (const name of ['bob', 'charlie', 'dave']) {
      nodes[name] = await Node.create(name, ['--chain', CHAIN_SPEC, `--${name}`,
        '--bootnodes', bootnode, '--unsafe-force-node-key-generation']);
    }
    for (const node of Object.values(nodes)) node.start();
    await Promise.all(Object.values(nodes).map((node) => node.waitForRpc()));
  });

  after(async () => {
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
    for (const node of Object.values(nodes)) node.removeBasePath();
  });

  it('peers, produces and finalizes blocks', { timeout: TEST_TIMEOUT_MS }, async () => {
    await waitFor('every validator to see the other three', async () => {
      const peers = await Promise.all(Object.values(nodes).map(async (n) => (await n.rpc('system_health')).peers));
      return peers.every((p) => p >= 3);
    }, 60_000);
    await waitFor('block 3 to be finalized on every validator', async () => {
      const finalized = await Promise.all(Object.values(nodes).map((n) => n.finalizedNumber()));
      return finalized.every((f) => f >= 3);
    }, 20 * SLOT_MS);
  });

  it('keeps finalizing with one validator down, and the returning one catches up', { timeout: TEST_TIMEOUT_MS }, async () => {
    await nodes.dave.kill();
    const finalizedBefore = await nodes.alice.finalizedNumber();
    await waitFor('finality to advance 3 blocks without Dave', async () =>
      (await nodes.alice.finalizedNumber()) >= finalizedBefore + 3, 20 * SLOT_MS);
    const bobFinalized = await nodes.bob.finalizedNumber();
    assert.ok(bobFinalized >= finalizedBefore + 2, `Bob's finality stalled at ${bobFinalized}`);

    nodes.dave.start();
    await nodes.dave.waitForRpc();
    const target = await nodes.alice.finalizedNumber();
    await waitFor(`Dave to import and finalize block ${target}`, async () =>
      (await nodes.dave.finalizedNumber()) >= target, 20 * SLOT_MS);
    assert.ok((await nodes.dave.bestNumber()) >= target);
  });
});
