// Governance through polkadot.js on a --dev node: a referendum on the market_admin track changes
// the protocol fee and a lease opened after it pays the new fee while one opened before keeps
// the old; a referendum voted down changes nothing; out-of-range values and wrong origins are
// refused by name; transaction fees go to the treasury.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decided, propose, vote } from './lib/governance.mjs';
import { findEvent, startDevNode, stopDevNode, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const UNIT = 10n ** 12n;
const MILLI = 10n ** 9n;
const PERCENT = 10_000_000; // Perbill parts
const ACCESS = { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT bob@laptop', sealKey: null };
const MARKET_ADMIN = { Governance: 'MarketAdmin' };

describe('OpenGov on a --dev node', () => {
  let node;
  let api;
  let keyring;
  let alice;
  let bob;
  let charlie;

  const setFee = (percent) => api.tx.governance.setParameter({ Leases: { ProtocolFee: [null, percent * PERCENT] } });
  const storedFee = async () => {
    const value = await api.query.parameters.parameters({ Leases: 'ProtocolFee' });
    return value.isSome ? value.unwrap().asLeases.asProtocolFee.toNumber() : null;
  };
  // Bob rents one GPU of the demo machine (0) for 100 blocks; resolves with the lease id.
  const rent = async (renter) => {
    const { events } = await submit(api,
      api.tx.leases.rent(0, 1, 'OnDemand', 100, 500n * MILLI, ACCESS), renter);
    return findEvent(api, events, 'leases', 'Rented').data.lease.toNumber();
  };
  const settledFee = async (lease, who) => {
    const { events } = await submit(api, api.tx.leases.settle(lease), who);
    const { toProvider, fee } = findEvent(api, events, 'leases', 'Settled').data;
    return { toProvider: toProvider.toBigInt(), fee: fee.toBigInt() };
  };

  before(async () => {
    ({ node, api, keyring } = await startDevNode('governance'));
    alice = keyring.addFromUri('//Alice');
    bob = keyring.addFromUri('//Bob');
    charlie = keyring.addFromUri('//Charlie');
  });

  after(() => stopDevNode({ node, api }));

  it('shows the three tracks with the dev chain\'s short periods', { timeout: TEST_TIMEOUT_MS }, async () => {
    const tracks = api.consts.referenda.tracks.map(([id, info]) => [id.toNumber(), info.name.toString().replace(/\0+$/, ''), info.decisionPeriod.toNumber()]);
    assert.deepEqual(tracks.map(([id, name]) => [id, name]), [[0, 'root'], [1, 'market_admin'], [2, 'treasurer']]);
    assert.ok(tracks.every(([, , decision]) => decision <= 40), `dev decision periods: ${tracks}`);
  });

  it('a market_admin referendum changes the protocol fee; leases opened after it pay the new fee', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = await rent(charlie);
    const index = await propose(api, setFee(7), MARKET_ADMIN, alice);
    const info = (await api.query.referenda.referendumInfoFor(index)).unwrap().asOngoing;
    assert.equal(info.track.toNumber(), 1);
    assert.ok(info.decisionDeposit.isSome);
    // Alice and Bob: 1.8M of about 8M GPUX, over the track's 20 % support from the start.
    await vote(api, index, [alice, bob], { balance: 900_000n * UNIT, conviction: 'Locked2x' });
    const tally = (await api.query.referenda.referendumInfoFor(index)).unwrap().asOngoing.tally;
    assert.equal(tally.ayes.toBigInt(), 2n * 2n * 900_000n * UNIT); // conviction 2×
    assert.equal(await decided(api, index, 90_000), 'Approved');
    await waitFor('the fee to be enacted', async () => (await storedFee()) === 7 * PERCENT, 30_000);

    const after = await rent(bob);
    assert.equal((await api.query.leases.leases(after)).unwrap().protocolFee.toNumber(), 7 * PERCENT);
    assert.equal((await api.query.leases.leases(before)).unwrap().protocolFee.toNumber(), 5 * PERCENT);
    // Each pays its own fee on what accrued.
    const old = await settledFee(before, charlie);
    const now = await settledFee(after, bob);
    const share = ({ toProvider, fee }) => Number(fee * 1000n / (toProvider + fee)) / 10;
    assert.ok(Math.abs(share(old) - 5) < 0.2, `old lease fee share ${share(old)} %`);
    assert.ok(Math.abs(share(now) - 7) < 0.2, `new lease fee share ${share(now)} %`);
  });

  it('a referendum voted down changes nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const index = await propose(api, setFee(9), MARKET_ADMIN, alice);
    // Alice's ayes reach the track's support; Bob's nays keep approval under the curve.
    await vote(api, index, [alice], { balance: 300_000n * UNIT, conviction: 'Locked6x' });
    await vote(api, index, [bob], { aye: false, balance: 900_000n * UNIT, conviction: 'Locked6x' });
    assert.equal(await decided(api, index, 90_000), 'Rejected');
    assert.equal(await storedFee(), 7 * PERCENT);
  });

  it('refuses wrong origins, out-of-range values and votes beyond the balance, by name', { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(submit(api, setFee(1), bob), /BadOrigin/);
    await assert.rejects(submit(api, api.tx.parameters.setParameter({ Leases: { ProtocolFee: [null, PERCENT] } }), bob), /BadOrigin/);
    await assert.rejects(submit(api, api.tx.marketplace.addGpuClass('NVIDIA B200', 192, 8n * UNIT), bob), /BadOrigin/);
    // Even sudo gets the range check through governance.setParameter.
    const sudid = await submit(api, api.tx.sudo.sudo(setFee(21)), alice);
    const { sudoResult } = findEvent(api, sudid.events, 'sudo', 'Sudid').data;
    assert.equal(api.registry.findMetaError(sudoResult.asErr.asModule).name, 'ParameterOutOfRange');
    assert.equal(await storedFee(), 7 * PERCENT);
    const index = await propose(api, setFee(6), MARKET_ADMIN, alice, { decide: false });
    const free = (await api.query.system.account(charlie.address)).data.free.toBigInt();
    await assert.rejects(
      submit(api, api.tx.convictionVoting.vote(index, { Standard: { vote: { aye: true, conviction: 'None' }, balance: free * 2n } }), charlie),
      /convictionVoting.InsufficientFunds/);
  });

  it('transaction fees go to the treasury', { timeout: TEST_TIMEOUT_MS }, async () => {
    const pot = api.consts.treasury.potAccount.toString();
    const { events } = await submit(api, api.tx.balances.transferKeepAlive(charlie.address, UNIT), bob);
    const { actualFee } = findEvent(api, events, 'transactionPayment', 'TransactionFeePaid').data;
    assert.ok(actualFee.toBigInt() > 0n);
    const deposit = events.find(({ event }) => api.events.balances.Deposit.is(event) && event.data.who.toString() === pot);
    assert.ok(deposit, 'no deposit to the treasury');
    assert.equal(deposit.event.data.amount.toBigInt(), actualFee.toBigInt());
  });
});
