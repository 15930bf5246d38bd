// Provider staking and reputation through polkadot.js on a --dev node: a provider bonds and
// lists, a leased machine reported offline is refunded at once and slashed after the defer
// period, its reputation drops, and a renter filtering by reputation no longer sees it. A
// listed machine whose worker never runs is reported offline by the chain itself once rented,
// and a bond backing one leased GPU cannot back a second listing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bestNumber, findEvent, freeBalance, provenWorkerKey, startDevNode, stopDevNode, submit, sudo, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const UNIT = 10n ** 12n;
const MILLI = 10n ** 9n;
const NEUTRAL = 500_000;
const DEFER = 5;
const ACCESS = { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT bob@laptop', sealKey: null };
const TERMS = {
  onDemandPrice: 600n * MILLI, spotFloorPrice: 100n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 10_000,
  availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
};

describe('provider staking and reputation on a --dev node', () => {
  let node;
  let api;
  let root; // Alice, the dev sudo key
  let provider; // Charlie
  let renter; // Bob
  let keyring;
  let machine;
  let slash;

  const score = async (id) => (await api.call.reputationApi.machineReputation(id)).score.toNumber();
  const visibleAt = async (minReputation) => (await api.call.marketplaceApi.listings(
    { minReputation }, 'ReputationDescending', { offset: 0, limit: 100 })).map((l) => l.machine.toNumber());

  before(async () => {
    ({ node, api, keyring } = await startDevNode('staking'));
    root = keyring.addFromUri('//Alice');
    provider = keyring.addFromUri('//Charlie');
    renter = keyring.addFromUri('//Bob');
  });

  after(() => stopDevNode({ node, api }));

  // A machine of `gpuCount` RTX 4090s in France, its worker key derived from `//worker-${key}`;
  // returns its id.
  const registerMachine = async (who, gpuCount, key) => {
    const spec = {
      gpuClass: 0, gpuCount, vramGibPerGpu: 24, computeCapability: { major: 8, minor: 9 },
      cpuCores: 32, ramGib: 128, diskGib: 2000, bandwidthUpMbps: 1000, bandwidthDownMbps: 1000,
    };
    const worker = provenWorkerKey(api, keyring, `//worker-${key}`, who);
    const { events } = await submit(api,
      api.tx.marketplace.registerMachine(spec, worker.key, worker.proof, { country: [70, 82], location: null }, null),
      who);
    return findEvent(api, events, 'marketplace', 'MachineRegistered').data.machine.toNumber();
  };

  it('lists a machine only once the provider has bonded enough', { timeout: TEST_TIMEOUT_MS }, async () => {
    await submit(api, api.tx.marketplace.registerProvider('Charlie GPUs'), provider);
    machine = await registerMachine(provider, 2, 'c2');

    // 2 GPUs need 200 GPUX; 150 is not enough.
    await submit(api, api.tx.providerStaking.bond(150n * UNIT), provider);
    await assert.rejects(submit(api, api.tx.marketplace.setListing(machine, TERMS), provider),
      /marketplace\.InsufficientBond/);
    await assert.rejects(submit(api, api.tx.providerStaking.bond(10n ** 9n * UNIT), provider),
      /providerStaking\.BondExceedsBalance/);
    // 300 in all: enough, with room for a slash that leaves the listing backed.
    const bonded = await submit(api, api.tx.providerStaking.bond(150n * UNIT), provider);
    assert.equal(findEvent(api, bonded.events, 'providerStaking', 'Bonded').data.amount.toBigInt(), 150n * UNIT);
    await submit(api, api.tx.marketplace.setListing(machine, TERMS), provider);

    // Unbonding below what the listing needs is refused; the ledger is unchanged.
    await assert.rejects(submit(api, api.tx.providerStaking.unbond(100n * UNIT + 1n), provider),
      /providerStaking\.BelowRequirement/);
    const ledger = (await api.query.providerStaking.bonds(provider.address)).unwrap();
    assert.equal(ledger.active.toBigInt(), 300n * UNIT);
    assert.equal(await score(machine), NEUTRAL, 'a new machine starts neutral');
    assert.ok((await visibleAt(NEUTRAL)).includes(machine));
  });

  it('refuses governance calls from anyone else', { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(submit(api, api.tx.providerStaking.reportOffline(machine), renter),
      /providerStaking\.NotMachineProvider/);
    await assert.rejects(submit(api, api.tx.providerStaking.cancelSlash(0, 'not mine to cancel'), provider),
      /BadOrigin/);
    await assert.rejects(sudo(api, api.tx.providerStaking.cancelSlash(99, 'no such slash'), root),
      /providerStaking\.UnknownSlash/);
  });

  it('closes the lease of an offline machine with a refund, then slashes after the defer period', { timeout: TEST_TIMEOUT_MS }, async () => {
    await sudo(api, api.tx.parameters.setParameter({ ProviderStaking: { SlashDeferPeriod: [null, DEFER] } }), root);
    const rented = await submit(api, api.tx.leases.rent(machine, 1, 'OnDemand', 600, 600n * MILLI, ACCESS), renter);
    const { lease, escrow } = findEvent(api, rented.events, 'leases', 'Rented').data;
    const rentedAt = await bestNumber(api);
    await waitFor('a few blocks of the lease', async () => (await bestNumber(api)) >= rentedAt + 3);

    const reported = await sudo(api, api.tx.providerStaking.reportOffline(machine), root);
    const closed = findEvent(api, reported.events, 'leases', 'Closed').data;
    const paid = (await api.query.leases.leases(lease)).unwrap().paid.toBigInt();
    assert.equal(closed.lease.toNumber(), lease.toNumber());
    assert.equal(closed.reason.toString(), 'ProviderFault');
    assert.ok(closed.refunded.toBigInt() > 0n && closed.refunded.toBigInt() < escrow.toBigInt());
    const { reserved } = (await api.query.system.account(renter.address)).data;
    assert.equal(reserved.toBigInt(), 0n, 'the unused escrow went back at once');
    const fault = findEvent(api, reported.events, 'providerStaking', 'FaultReported').data;
    assert.equal(fault.kind.toString(), 'Offline');
    // 10 % of 100 GPUX × 2 GPUs.
    assert.equal(fault.amount.toBigInt(), 20n * UNIT);
    slash = fault.slash.unwrap().toNumber();
    const appliesAt = fault.appliesAt.toNumber();
    const renterBefore = await freeBalance(api, renter);

    await waitFor('the slash to land', async () => (await bestNumber(api)) >= appliesAt);
    const ledger = (await api.query.providerStaking.bonds(provider.address)).unwrap();
    assert.equal(ledger.active.toBigInt(), 280n * UNIT);
    // Half of the slash is the renters' share, but a renter is made good only up to what its
    // lease cost it: the rest goes to the treasury.
    assert.ok(paid > 0n && paid < 10n * UNIT);
    assert.equal(await freeBalance(api, renter) - renterBefore, paid);
    assert.ok((await api.query.providerStaking.slashes(slash)).isNone);
    await assert.rejects(sudo(api, api.tx.providerStaking.cancelSlash(slash, 'too late'), root),
      /providerStaking\.SlashNotPending/);
  });

  it('lowers the machine\'s reputation so a renter filtering by it no longer sees it', { timeout: TEST_TIMEOUT_MS }, async () => {
    // The offline fault took it off the market until its provider lists it again.
    assert.ok((await api.query.marketplace.machines(machine)).unwrap().listing.isNone);
    assert.ok(!(await visibleAt(null)).includes(machine));
    await submit(api, api.tx.marketplace.setListing(machine, TERMS), provider);
    const view = await api.call.reputationApi.machineReputation(machine);
    assert.ok(view.score.toNumber() < NEUTRAL, `score ${view.score.toNumber()} dropped`);
    assert.equal(view.record.leasesFaulty.toNumber(), 1);
    assert.ok((await api.call.reputationApi.providerReputation(provider.address)).score.toNumber() < NEUTRAL);
    // Listed again (280 GPUX backs 2 GPUs), but not to a renter asking for neutral or better.
    assert.ok((await visibleAt(null)).includes(machine));
    assert.ok(!(await visibleAt(NEUTRAL)).includes(machine));
    // The filter hides exactly the machines below it. (Ferdie's demo machine, whose worker never
    // ran, has lost uptime since genesis, so it may be among them.)
    const all = await visibleAt(null);
    const scores = await Promise.all(all.map(score));
    assert.deepEqual(await visibleAt(NEUTRAL), all.filter((_, i) => scores[i] >= NEUTRAL));
  });

  it('moves nothing when governance cancels a slash the provider reported on itself', { timeout: TEST_TIMEOUT_MS }, async () => {
    await sudo(api, api.tx.parameters.setParameter({ ProviderStaking: { SlashDeferPeriod: [null, 1000] } }), root);
    const reported = await submit(api, api.tx.providerStaking.reportOffline(machine), provider);
    const pending = findEvent(api, reported.events, 'providerStaking', 'FaultReported').data.slash.unwrap();
    const cancelled = await sudo(api, api.tx.providerStaking.cancelSlash(pending, 'planned maintenance'), root);
    const event = findEvent(api, cancelled.events, 'providerStaking', 'SlashCancelled').data;
    assert.equal(event.slash.toNumber(), pending.toNumber());
    const ledger = (await api.query.providerStaking.bonds(provider.address)).unwrap();
    assert.equal(ledger.active.toBigInt(), 280n * UNIT);
    assert.equal(ledger.pendingSlashes.toNumber(), 0);
  });

  it('reports a listed machine whose worker never runs offline once rented, refunding its renter', { timeout: TEST_TIMEOUT_MS }, async () => {
    const dave = keyring.addFromUri('//Dave');
    await submit(api, api.tx.marketplace.registerProvider('Dave GPUs'), dave);
    const silent = await registerMachine(dave, 1, 'd4');
    await submit(api, api.tx.providerStaking.bond(100n * UNIT), dave);
    await submit(api, api.tx.marketplace.setListing(silent, TERMS), dave);
    // Watched from its listing: no heartbeat has ever come.
    const watched = (await api.query.attestation.heartbeats(silent)).unwrap();
    assert.ok(watched.receivedAt.isNone);

    const rented = await submit(api, api.tx.leases.rent(silent, 1, 'OnDemand', 600, 600n * MILLI, ACCESS), renter);
    const { lease, escrow } = findEvent(api, rented.events, 'leases', 'Rented').data;
    const window = api.consts.attestation.heartbeatInterval.toNumber();
    const grace = api.consts.attestation.offlineGraceWindows.toNumber();
    const closed = await waitFor('the chain to report the silent machine', async () => {
      const l = (await api.query.leases.leases(lease)).unwrap();
      return l.status.isClosed ? l : null;
    }, (grace + 3) * window * 1000 + 30_000);
    assert.equal(closed.status.asClosed.reason.toString(), 'ProviderFault');
    assert.equal(closed.escrow.toBigInt(), 0n);
    assert.ok(closed.paid.toBigInt() < escrow.toBigInt(), 'the unused escrow went back');
    const { reserved } = (await api.query.system.account(renter.address)).data;
    assert.equal(reserved.toBigInt(), 0n);
    // Slashed (deferred) and off the market.
    const slashes = await api.query.providerStaking.slashes.entries();
    assert.ok(slashes.some(([, s]) => s.unwrap().provider.toString() === dave.address &&
      s.unwrap().kind.toString() === 'Offline'));
    assert.ok((await api.query.marketplace.machines(silent)).unwrap().listing.isNone);
  });

  it('upholds a renter\'s offline report at once and makes it the slash\'s reporter', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ferdie = keyring.addFromUri('//Ferdie');
    const silent = await registerMachine(ferdie, 1, 'f1');
    await submit(api, api.tx.providerStaking.bond(100n * UNIT), ferdie);
    await submit(api, api.tx.marketplace.setListing(silent, TERMS), ferdie);
    const rented = await submit(api, api.tx.leases.rent(silent, 1, 'OnDemand', 600, 600n * MILLI, ACCESS), renter);
    const { lease } = findEvent(api, rented.events, 'leases', 'Rented').data;
    // Only the renter may report on its lease.
    await assert.rejects(submit(api, api.tx.attestation.reportFault(lease, 'Offline', 'no ssh'), ferdie),
      /attestation\.NotRenter/);
    // Once the chain has seen the machine miss a window under the lease, before the sweep's
    // own report after the grace.
    const window = api.consts.attestation.heartbeatInterval.toNumber();
    await waitFor('a missed window under the lease', async () =>
      (await api.query.attestation.heartbeats(silent)).unwrap().missedInARow.toNumber() > 0,
    3 * window * 1000 + 30_000);
    const deposit = api.consts.attestation.disputeDeposit.toBigInt();
    assert.ok(deposit > 0n);
    const reported = await submit(api, api.tx.attestation.reportFault(lease, 'Offline', 'no ssh'), renter);
    assert.equal(findEvent(api, reported.events, 'attestation', 'FaultClaimed').data.deposit.toBigInt(), deposit);
    assert.ok(findEvent(api, reported.events, 'attestation', 'FaultClaimDecided').data.upheld.isTrue);
    // The deposit is back, and the lease closed with its unused escrow refunded.
    const holds = await api.query.balances.holds(renter.address);
    assert.ok(!holds.some((h) => JSON.stringify(h.id.toHuman()).includes('RenterDeposit')), holds.toString());
    const closed = (await api.query.leases.leases(lease)).unwrap();
    assert.equal(closed.status.asClosed.reason.toString(), 'ProviderFault');
    assert.equal(closed.escrow.toBigInt(), 0n);
    const slashes = await api.query.providerStaking.slashes.entries();
    const slash = slashes.map(([, s]) => s.unwrap()).find((s) => s.machine.toNumber() === silent);
    assert.equal(slash.kind.toString(), 'Offline');
    assert.equal(slash.reporter.unwrap().toString(), renter.address);
  });

  it('refuses a second listing that a bond backing one leased GPU cannot back', { timeout: TEST_TIMEOUT_MS }, async () => {
    const eve = keyring.addFromUri('//Eve');
    await submit(api, api.tx.marketplace.registerProvider('Eve GPUs'), eve);
    const first = await registerMachine(eve, 1, 'e5');
    const second = await registerMachine(eve, 1, 'e6');
    await submit(api, api.tx.providerStaking.bond(100n * UNIT), eve);
    await submit(api, api.tx.marketplace.setListing(first, TERMS), eve);
    await submit(api, api.tx.leases.rent(first, 1, 'OnDemand', 600, 600n * MILLI, ACCESS), renter);
    await submit(api, api.tx.marketplace.delist(first), eve);
    // The leased GPU still needs its bond: the second machine is refused by name.
    await assert.rejects(submit(api, api.tx.marketplace.setListing(second, TERMS), eve),
      /marketplace\.InsufficientBond/);
    assert.ok((await api.query.marketplace.machines(second)).unwrap().listing.isNone);
    assert.equal((await api.query.marketplace.providers(eve.address)).unwrap().committedGpus.toNumber(), 1);
  });

  it('rotates a machine onto a new worker key only with that key\'s proof', { timeout: TEST_TIMEOUT_MS }, async () => {
    const eve = keyring.addFromUri('//Eve');
    const machine = (await api.query.marketplace.machineOfWorkerKey(provenWorkerKey(api, keyring, '//worker-e6', eve).key)).unwrap().toNumber();
    const next = provenWorkerKey(api, keyring, '//worker-e7', eve);
    const wrong = provenWorkerKey(api, keyring, '//worker-e8', eve);
    await assert.rejects(submit(api, api.tx.marketplace.setWorkerKey(machine, next.key, wrong.proof), eve),
      /marketplace\.BadKeyProof/);
    const { events } = await submit(api, api.tx.marketplace.setWorkerKey(machine, next.key, next.proof), eve);
    assert.equal(findEvent(api, events, 'marketplace', 'WorkerKeyChanged').data.machine.toNumber(), machine);
    assert.equal((await api.query.marketplace.machines(machine)).unwrap().workerKey.toHex(), `0x${Buffer.from(next.key).toString('hex')}`);
    assert.ok((await api.query.marketplace.machineOfWorkerKey(provenWorkerKey(api, keyring, '//worker-e6', eve).key)).isNone);
  });
});
