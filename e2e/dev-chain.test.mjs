// A --dev node through @polkadot/api: blocks, finality, chain properties and a transfer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDevNode, stopDevNode, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const UNITS = 10n ** 12n;

describe('a --dev node', () => {
  let node;
  let api;
  let alice;
  let bob;

  before(async () => {
    let keyring;
    ({ node, api, keyring } = await startDevNode('dev'));
    alice = keyring.addFromUri('//Alice');
    bob = keyring.addFromUri('//Bob');
  });

  after(() => stopDevNode({ node, api }));

  it('produces and finalizes blocks', { timeout: TEST_TIMEOUT_MS }, async () => {
    const finalized = await waitFor('block 3 to be finalized', async () => {
      const n = await node.finalizedNumber();
      return n >= 3 ? n : false;
    }, 30_000);
    assert.ok(finalized >= 3);
    assert.ok(await node.bestNumber() >= finalized);
  });

  it('names its token GPUX with 12 decimals and its own address format', { timeout: TEST_TIMEOUT_MS }, async () => {
    const properties = await node.rpc('system_properties');
    assert.equal(properties.tokenSymbol, 'GPUX');
    assert.equal(properties.tokenDecimals, 12);
    assert.equal(properties.ss58Format, 4090);
    assert.deepEqual(api.registry.chainTokens, ['GPUX']);
    assert.deepEqual(api.registry.chainDecimals, [12]);
    assert.equal(api.registry.chainSS58, 4090);
    assert.match(alice.address, /^[1-9A-HJ-NP-Za-km-z]+$/);
    // The node's RPC reads addresses in that format too.
    assert.equal(typeof await node.rpc('system_accountNextIndex', [alice.address]), 'number');
  });

  it('lets wallets check the metadata hash they sign', { timeout: TEST_TIMEOUT_MS }, () => {
    assert.ok(api.registry.signedExtensions.includes('CheckMetadataHash'),
      `signed extensions: ${api.registry.signedExtensions.join(', ')}`);
  });

  it('transfers GPUX from Alice to Bob', { timeout: TEST_TIMEOUT_MS }, async () => {
    const amount = 42n * UNITS;
    const before = {
      alice: (await api.query.system.account(alice.address)).data.free.toBigInt(),
      bob: (await api.query.system.account(bob.address)).data.free.toBigInt(),
    };

    const { blockHash, events } = await new Promise((resolve, reject) => {
      api.tx.balances.transferKeepAlive(bob.address, amount)
        .signAndSend(alice, ({ status, events, dispatchError }) => {
          if (dispatchError) reject(new Error(dispatchError.toString()));
          // Dev sealing finalizes at once, so a transaction may go from Ready to Finalized.
          else if (status.isInBlock) resolve({ blockHash: status.asInBlock, events });
          else if (status.isFinalized) resolve({ blockHash: status.asFinalized, events });
        })
        .catch(reject);
    });

    const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
    assert.ok(transfer, 'a Balances.Transfer event was emitted');
    const [from, to, value] = transfer.event.data;
    assert.equal(from.toString(), alice.address);
    assert.equal(to.toString(), bob.address);
    assert.equal(value.toBigInt(), amount);

    const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
    const fee = feeEvent.event.data[1].toBigInt();
    assert.ok(fee > 0n, 'the sender paid a fee');

    const at = await api.at(blockHash);
    const after = {
      alice: (await at.query.system.account(alice.address)).data.free.toBigInt(),
      bob: (await at.query.system.account(bob.address)).data.free.toBigInt(),
    };
    assert.equal(after.bob - before.bob, amount);
    assert.equal(before.alice - after.alice, amount + fee);
  });

  it('refuses a call whose bounded field is too long with a plain decode error', { timeout: TEST_TIMEOUT_MS }, async () => {
    // polkadot.js encodes a bounded field as plain bytes: a 5,000-byte dispute reason (the bound
    // is far lower) reaches the node, which refuses it by name before the runtime runs.
    const refusal = await api.tx.attestation.dispute(1, 'x'.repeat(5_000))
      .signAndSend(alice)
      .then(() => null, (e) => e.message);
    assert.ok(refusal, 'the oversized call was accepted');
    assert.match(refusal, /the extrinsic does not decode with this runtime's types: .*BoundedVec exceeds its limit/);
    assert.doesNotMatch(refusal, /unreachable|backtrace/i);
    assert.doesNotMatch(node.log, /Bad input data provided/);
    // A call within the bound is for the runtime to judge (no such lease here).
    const judged = await api.tx.attestation.dispute(1, 'too slow')
      .signAndSend(alice)
      .then(() => null, (e) => e.message);
    assert.equal(judged, null);
  });

  it('serves Prometheus metrics', { timeout: TEST_TIMEOUT_MS }, async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`)).text();
    assert.match(metrics, /substrate_block_height\{status="finalized"/);
  });
});
