// The market through polkadot.js on a --dev node: list, browse, rent, settle, terminate, and
// a spot lease preempted by an on-demand rent after its notice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bestNumber, findEvent, freeBalance, provenWorkerKey, startDevNode, stopDevNode, submit, TEST_TIMEOUT_MS, waitFor } from './lib/node.mjs';

const MILLI = 10n ** 9n;
const DE = [68, 69];
const RTX_4090 = 0;

describe('the GPU market on a --dev node', () => {
  let node;
  let api;
  let provider; // Charlie
  let renter; // Bob
  let spotRenter; // Dave
  let machine;
  let keyring;

  const lease = async (id) => (await api.query.leases.leases(id)).unwrap();

  before(async () => {
    ({ node, api, keyring } = await startDevNode('market'));
    provider = keyring.addFromUri('//Charlie');
    renter = keyring.addFromUri('//Bob');
    spotRenter = keyring.addFromUri('//Dave');
  });

  after(() => stopDevNode({ node, api }));

  it('lets a provider register and list a machine', { timeout: TEST_TIMEOUT_MS }, async () => {
    await submit(api, api.tx.marketplace.registerProvider('Charlie GPUs'), provider);
    const spec = {
      gpuClass: RTX_4090, gpuCount: 4, vramGibPerGpu: 24, computeCapability: { major: 8, minor: 9 },
      cpuCores: 64, ramGib: 256, diskGib: 4000, bandwidthUpMbps: 1000, bandwidthDownMbps: 1000,
    };
    // The worker key comes with its proof of possession: another account's proof is refused.
    const worker = provenWorkerKey(api, keyring, '//worker-c1', provider);
    const squatter = provenWorkerKey(api, keyring, '//worker-c1', renter);
    await assert.rejects(submit(api,
      api.tx.marketplace.registerMachine(spec, worker.key, squatter.proof, { country: DE, location: 'Berlin' }, null),
      provider), /marketplace\.BadKeyProof/);
    const { events } = await submit(api,
      api.tx.marketplace.registerMachine(spec, worker.key, worker.proof, { country: DE, location: 'Berlin' }, null),
      provider);
    machine = findEvent(api, events, 'marketplace', 'MachineRegistered').data.machine.toNumber();
    const terms = {
      onDemandPrice: 800n * MILLI, spotFloorPrice: 100n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 1000,
      availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
    };
    // Four GPUs need 4 × 100 GPUX bonded: without the bond the listing is refused by name.
    await assert.rejects(submit(api, api.tx.marketplace.setListing(machine, terms), provider),
      /marketplace\.InsufficientBond/);
    await submit(api, api.tx.providerStaking.bond(400n * 1000n * MILLI), provider);
    const listed = await submit(api, api.tx.marketplace.setListing(machine, terms), provider);
    findEvent(api, listed.events, 'marketplace', 'Listed');

    // Above the class ceiling (1 GPUX per GPU-hour) is refused by name.
    await assert.rejects(
      submit(api, api.tx.marketplace.setListing(machine, { ...terms, onDemandPrice: 2000n * MILLI }), provider),
      /marketplace\.PriceAboveMfp/);
  });

  it('shows the listing to a renter filtering through the runtime API', { timeout: TEST_TIMEOUT_MS }, async () => {
    const filter = {
      gpuClass: RTX_4090, model: '4090', minVramGib: 24, minFreeGpus: 4, maxPrice: 900n * MILLI,
      country: DE, mode: null,
    };
    const found = await api.call.marketplaceApi.listings(filter, 'PriceAscending', { offset: 0, limit: 10 });
    // Ferdie's demo machine has only 2 GPUs: the filter leaves Charlie's.
    assert.deepEqual(found.map((l) => l.machine.toNumber()), [machine]);
    assert.equal(found[0].freeGpus.toNumber(), 4);
    assert.equal(found[0].provider.toString(), provider.address);
    const all = await api.call.marketplaceApi.listings({}, 'PriceAscending', { offset: 0, limit: 10 });
    assert.ok(all.length >= 2, 'the demo machine is listed too');

    // Hardware, access, lease length, driver and uptime filters; prices to compare.
    const wide = { ...filter, minCpuCores: 1, minRamGib: 1, minDiskGib: 1, access: 'Ssh', leaseBlocks: 600,
      minComputeCapability: { major: 8, minor: 0 } };
    const best = await api.call.marketplaceApi.listings(wide, 'AdjustedPriceAscending', { offset: 0, limit: 10 });
    assert.deepEqual(best.map((l) => l.machine.toNumber()), [machine]);
    // A newcomer's neutral reputation leaves the compared price as it is.
    assert.equal(best[0].adjustedPrice.toBigInt(), best[0].pricePerGpuHour.toBigInt());
    // Or the chain picks: the best fit and the lease's total, or why none fits.
    const needs = { gpuClass: RTX_4090, minVramGib: 24, minComputeCapability: null, minCpuCores: 32, minRamGib: 0,
      minDiskGib: 0, minBandwidthUpMbps: 0, minBandwidthDownMbps: 0, country: DE, minReputation: null, access: 'Ssh' };
    const quote = await api.call.marketplaceApi.quote(needs, 4, 600, 'OnDemand');
    assert.equal(quote.asOk.listing.machine.toNumber(), machine);
    assert.equal(quote.asOk.total.toBigInt(), 4n * 800n * MILLI);
    const none = await api.call.marketplaceApi.quote({ ...needs, minCpuCores: 100_000 }, 1, 600, 'OnDemand');
    assert.equal(none.asErr.toString(), 'InsufficientSpec');
    for (const narrower of [{ access: 'Api' }, { minCpuCores: 100_000 }, { minDriverVersion: '1' }, { minUptime: 1 }]) {
      const none = await api.call.marketplaceApi.listings({ ...filter, ...narrower }, 'PriceAscending', { offset: 0, limit: 10 });
      assert.deepEqual(none.map((l) => l.machine.toNumber()), [], JSON.stringify(narrower));
    }
  });

  it('rents on demand, pays the provider on settle, refunds pro rata on terminate', { timeout: TEST_TIMEOUT_MS }, async () => {
    const access = { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT bob@laptop', sealKey: null };
    const rented = await submit(api,
      api.tx.leases.rent(machine, 2, 'OnDemand', 100, 800n * MILLI, access), renter);
    const { lease: id, escrow, startsAt } = findEvent(api, rented.events, 'leases', 'Rented').data;
    // 2 GPUs × 100 blocks × 0.8 GPUX per GPU-hour ÷ 600 blocks per hour.
    assert.equal(escrow.toBigInt(), 2n * 100n * 800n * MILLI / 600n);
    const { reserved } = (await api.query.system.account(renter.address)).data;
    assert.ok(reserved.toBigInt() >= escrow.toBigInt(), 'the escrow is held in the renter\'s account');

    await waitFor('10 blocks of the lease', async () => (await bestNumber(api)) >= startsAt.toNumber() + 10);
    const providerBefore = await freeBalance(api, provider);
    const settled = await submit(api, api.tx.leases.settle(id), provider);
    const { toProvider, fee } = findEvent(api, settled.events, 'leases', 'Settled').data;
    assert.ok(toProvider.toBigInt() > 0n);
    // A 5 % protocol fee, rounded to the nearest unit.
    const owed = toProvider.toBigInt() + fee.toBigInt();
    const diff = fee.toBigInt() * 100n - owed * 5n;
    assert.ok(diff <= 100n && diff >= -100n, `fee ${fee} is not 5 % of ${owed}`);
    const txFee = findEvent(api, settled.events, 'transactionPayment', 'TransactionFeePaid').data.actualFee.toBigInt();
    assert.equal(await freeBalance(api, provider), providerBefore + toProvider.toBigInt() - txFee);

    const terminated = await submit(api, api.tx.leases.terminate(id), renter);
    const closed = findEvent(api, terminated.events, 'leases', 'Closed').data;
    assert.equal(closed.reason.toString(), 'RenterTerminated');
    const record = await lease(id);
    assert.equal(record.escrow.toBigInt(), 0n);
    assert.equal(record.paid.toBigInt() + closed.refunded.toBigInt(), escrow.toBigInt());
    assert.ok(closed.refunded.toBigInt() > 0n, 'the unused part came back');
    assert.equal((await api.call.leasesApi.accrued(id)).unwrap().toBigInt(), 0n);
    const mine = await api.call.leasesApi.leasesOf(renter.address, null, 10);
    assert.ok(mine.some(([leaseId]) => leaseId.eq(id)));
  });

  it('preempts a spot lease for an on-demand rent after the notice window', { timeout: TEST_TIMEOUT_MS }, async () => {
    const access = { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT dave@laptop', sealKey: null };
    // A spot bid below the class's spot price (a quarter of its reference price to start
    // with) is refused by name; at it, the lease runs.
    const spotPrice = (await api.call.marketplaceApi.spotPrice(RTX_4090)).unwrap().toBigInt();
    assert.equal(spotPrice, 250n * MILLI);
    await assert.rejects(submit(api, api.tx.leases.rent(machine, 4, 'Spot', 500, 200n * MILLI, access), spotRenter),
      /leases\.BidBelowSpotPrice/);
    const spot = await submit(api, api.tx.leases.rent(machine, 4, 'Spot', 500, 300n * MILLI, access), spotRenter);
    const spotId = findEvent(api, spot.events, 'leases', 'Rented').data.lease;

    const rented = await submit(api, api.tx.leases.rent(machine, 2, 'OnDemand', 50, 800n * MILLI, access), renter);
    const notice = findEvent(api, rented.events, 'leases', 'SpotPreemptionNoticed').data;
    assert.ok(notice.lease.eq(spotId));
    const { startsAt } = findEvent(api, rented.events, 'leases', 'Rented').data;
    const deadline = notice.endsAt.toNumber();
    assert.equal(startsAt.toNumber(), deadline, 'the on-demand lease starts when the notice ends');
    const noticeBlock = (await api.rpc.chain.getHeader(rented.blockHash)).number.toNumber();
    assert.equal(deadline - noticeBlock, api.consts.leases.spotNoticeBlocks.toNumber());

    // Still running just before the deadline...
    await waitFor(`block ${deadline - 1}`, async () => (await bestNumber(api)) >= deadline - 1);
    const at = await api.at(await api.rpc.chain.getBlockHash(deadline - 1));
    assert.ok((await at.query.leases.leases(spotId)).unwrap().status.isPreempting);
    // ...closed as Preempted at it, paying only for the blocks it ran.
    await waitFor(`block ${deadline}`, async () => (await bestNumber(api)) >= deadline);
    const closed = (await (await api.at(await api.rpc.chain.getBlockHash(deadline))).query.leases.leases(spotId)).unwrap();
    assert.equal(closed.status.asClosed.reason.toString(), 'Preempted');
    const ran = BigInt(deadline - closed.startsAt.toNumber());
    assert.equal(closed.paid.toBigInt(), 4n * ran * 300n * MILLI / 600n);
  });

  describe('orders', () => {
    const access = { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT eve@laptop', sealKey: null };
    const needs = { gpuClass: RTX_4090, minVramGib: 24, minComputeCapability: null, minCpuCores: 0, minRamGib: 0,
      minDiskGib: 0, minBandwidthUpMbps: 0, minBandwidthDownMbps: 0, country: null, minReputation: null, access: 'Ssh' };
    let eve;
    const placeOrder = async (requirements, gpus, maxPrice, expiresIn = 100) => submit(api,
      api.tx.marketplace.placeOrder(requirements, gpus, 60, 'OnDemand', maxPrice,
        (await bestNumber(api)) + expiresIn, access, false), eve);
    const terms = {
      onDemandPrice: 850n * MILLI, spotFloorPrice: 300n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 1000,
      availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
    };
    // A machine of `cores` CPU cores, 2 RTX 4090s, registered by `who` (bonded for it first);
    // listed if `list`. Each test's provider is one no lease has faulted yet: a pending slash
    // would leave it unbacked, and matching skips unbacked providers.
    const machineOf = async (who, cores, workerUri, list) => {
      const spec = {
        gpuClass: RTX_4090, gpuCount: 2, vramGibPerGpu: 24, computeCapability: { major: 8, minor: 9 },
        cpuCores: cores, ramGib: 256, diskGib: 4000, bandwidthUpMbps: 1000, bandwidthDownMbps: 1000,
      };
      const worker = provenWorkerKey(api, keyring, workerUri, who);
      const registered = await submit(api,
        api.tx.marketplace.registerMachine(spec, worker.key, worker.proof, { country: DE, location: null }, null), who);
      const id = findEvent(api, registered.events, 'marketplace', 'MachineRegistered').data.machine.toNumber();
      await submit(api, api.tx.providerStaking.bond(200n * 1000n * MILLI), who);
      if (list) await submit(api, api.tx.marketplace.setListing(id, terms), who);
      return id;
    };

    before(() => { eve = keyring.addFromUri('//Eve'); });

    it('refuses an order above the MFP by name', { timeout: TEST_TIMEOUT_MS }, async () => {
      await assert.rejects(placeOrder(needs, 1, 2000n * MILLI), /marketplace\.PriceAboveMfp/);
      await assert.rejects(placeOrder(needs, 0, 500n * MILLI), /marketplace\.ZeroGpus/);
    });

    it('matches an order at once on the listing the quote names', { timeout: TEST_TIMEOUT_MS }, async () => {
      const alice = keyring.addFromUri('//Alice');
      await submit(api, api.tx.marketplace.registerProvider('Alice GPUs'), alice);
      const ninetySix = await machineOf(alice, 96, '//worker-a1', true);
      const quote = await api.call.marketplaceApi.quote({ ...needs, minCpuCores: 96 }, 1, 60, 'OnDemand');
      assert.equal(quote.asOk.listing.machine.toNumber(), ninetySix);
      const { listing } = quote.asOk;
      const { events } = await placeOrder({ ...needs, minCpuCores: 96 }, 1, 900n * MILLI);
      const filled = findEvent(api, events, 'marketplace', 'OrderFilled').data;
      assert.equal(filled.renter.toString(), eve.address);
      const leased = await lease(filled.leases[0]);
      assert.equal(leased.machine.toNumber(), listing.machine.toNumber());
      assert.equal(leased.pricePerGpuHour.toBigInt(), listing.pricePerGpuHour.toBigInt());
      assert.equal(leased.renter.toString(), eve.address);
    });

    it('rests an unmatched order, says why, and fills it when a provider lists', { timeout: TEST_TIMEOUT_MS }, async () => {
      // Nobody lists a 128-core machine yet.
      const big = { ...needs, minCpuCores: 128 };
      const { events } = await placeOrder(big, 2, 900n * MILLI);
      assert.equal(findEvent(api, events, 'marketplace', 'OrderUnmatched').data.reason.toString(), 'InsufficientSpec');
      const placed = findEvent(api, events, 'marketplace', 'OrderPlaced').data;
      assert.equal(placed.deposit.toBigInt(), api.consts.marketplace.orderDeposit.toBigInt());
      const order = placed.order;
      assert.ok((await api.query.marketplace.orders(order)).isSome);

      // Ferdie brings a 128-core machine, bonds for it and lists it: the order fills.
      const ferdie = keyring.addFromUri('//Ferdie');
      const bigMachine = await machineOf(ferdie, 128, '//worker-f2', false);
      assert.ok((await api.query.marketplace.orders(order)).isSome, 'nothing listed yet');
      await submit(api, api.tx.marketplace.setListing(bigMachine, terms), ferdie);
      await waitFor('the resting order to fill', async () => (await api.query.marketplace.orders(order)).isNone);
      const mine = await api.call.leasesApi.leasesOf(eve.address, null, 10);
      const onBig = mine.filter(([, record]) => record.machine.toNumber() === bigMachine);
      assert.equal(onBig.length, 1, 'one lease on the new machine');
      assert.equal(onBig[0][1].gpus.toNumber(), 2);
      assert.equal(onBig[0][1].pricePerGpuHour.toBigInt(), 850n * MILLI);
      const held = await api.query.balances.holds(eve.address);
      assert.ok(!held.some((h) => h.id.toString().includes('RenterDeposit')), 'the deposit came back');
    });

    it('cancels a resting order with its deposit back', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { events } = await placeOrder({ ...needs, minCpuCores: 1000 }, 1, 900n * MILLI);
      const { order } = findEvent(api, events, 'marketplace', 'OrderPlaced').data;
      const cancelled = await submit(api, api.tx.marketplace.cancelOrder(order), eve);
      const { deposit } = findEvent(api, cancelled.events, 'marketplace', 'OrderCancelled').data;
      assert.equal(deposit.toBigInt(), api.consts.marketplace.orderDeposit.toBigInt());
      await assert.rejects(submit(api, api.tx.marketplace.cancelOrder(order), eve), /marketplace\.UnknownOrder/);
    });
  });

  describe('jobs', () => {
    const input = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG';
    const output = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
    const access = { sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT eve@laptop', sealKey: null };

    it('awards a job to the better of two bids, and pays the provider once the result is accepted',
      { timeout: TEST_TIMEOUT_MS }, async () => {
        const eve = keyring.addFromUri('//Eve');
        const dave = keyring.addFromUri('//Dave');
        // Dave lists two 200-core machines (no other provider has one).
        await submit(api, api.tx.marketplace.registerProvider('Dave GPUs'), dave);
        await submit(api, api.tx.providerStaking.bond(400n * 1000n * MILLI), dave);
        const spec = {
          gpuClass: RTX_4090, gpuCount: 2, vramGibPerGpu: 24, computeCapability: { major: 8, minor: 9 },
          cpuCores: 200, ramGib: 256, diskGib: 4000, bandwidthUpMbps: 1000, bandwidthDownMbps: 1000,
        };
        const terms = {
          onDemandPrice: 800n * MILLI, spotFloorPrice: 300n * MILLI, minLeaseBlocks: 10, maxLeaseBlocks: 1000,
          availableFrom: 0, availableUntil: null, access: { ssh: true, jupyter: false, api: false },
        };
        const machines = [];
        for (const uri of ['//worker-d1', '//worker-d2']) {
          const worker = provenWorkerKey(api, keyring, uri, dave);
          const { events } = await submit(api,
            api.tx.marketplace.registerMachine(spec, worker.key, worker.proof, { country: DE, location: null }, null), dave);
          const id = findEvent(api, events, 'marketplace', 'MachineRegistered').data.machine.toNumber();
          await submit(api, api.tx.marketplace.setListing(id, terms), dave);
          machines.push(id);
        }

        const needs = { gpuClass: RTX_4090, minVramGib: 24, minComputeCapability: null, minCpuCores: 200,
          minRamGib: 0, minDiskGib: 0, minBandwidthUpMbps: 0, minBandwidthDownMbps: 0, country: null,
          minReputation: null, access: 'Ssh' };
        const window = api.consts.marketplace.minBidWindow.toNumber();
        await assert.rejects(submit(api,
          api.tx.marketplace.postJob(needs, 1, 10, 900n * MILLI, window, false, 'QmNotACid', access), eve),
        /marketplace\.InvalidCid/);
        const posted = await submit(api,
          api.tx.marketplace.postJob(needs, 1, 10, 900n * MILLI, window, false, input, access), eve);
        const { job, closesAt } = findEvent(api, posted.events, 'marketplace', 'JobPosted').data;

        // Two bids; 650 beats 700 at equal reputation. A bid above the job's maximum is refused.
        await assert.rejects(submit(api, api.tx.marketplace.bid(job, machines[0], 950n * MILLI), dave),
          /marketplace\.BidAboveMax/);
        await submit(api, api.tx.marketplace.bid(job, machines[0], 700n * MILLI), dave);
        await submit(api, api.tx.marketplace.bid(job, machines[1], 650n * MILLI), dave);

        await waitFor('the window to close', async () => (await bestNumber(api)) > closesAt.toNumber());
        const running = (await api.query.marketplace.jobs(job)).unwrap().status;
        assert.ok(running.isRunning, running.toString());
        assert.equal(running.asRunning.machine.toNumber(), machines[1]);
        const leaseId = running.asRunning.lease;
        const leased = await lease(leaseId);
        assert.equal(leased.pricePerGpuHour.toBigInt(), 650n * MILLI);
        const holds = await api.query.balances.holds(dave.address);
        assert.ok(!holds.some((h) => h.id.toString().includes('BidDeposit')), 'both bid deposits came back');

        // The lease runs its 10 blocks; then Dave attests the output and Eve accepts it.
        await waitFor('the lease to end', async () => (await lease(leaseId)).status.isClosed);
        const paid = (await lease(leaseId)).paid.toBigInt();
        assert.equal(paid, 10n * 650n * MILLI / 600n);
        const result = await submit(api, api.tx.marketplace.submitResult(job, output, '0x' + '07'.repeat(32)), dave);
        findEvent(api, result.events, 'marketplace', 'ResultSubmitted');
        const before = await freeBalance(api, dave);
        const accepted = await submit(api, api.tx.marketplace.acceptResult(job), eve);
        const { toProvider } = findEvent(api, accepted.events, 'marketplace', 'ResultAccepted').data;
        const { fee } = findEvent(api, accepted.events, 'leases', 'PayoutReleased').data;
        assert.equal(toProvider.toBigInt() + fee.toBigInt(), paid);
        assert.equal(await freeBalance(api, dave), before + toProvider.toBigInt());
        assert.ok((await api.query.marketplace.jobs(job)).isNone);
      });
  });
});
