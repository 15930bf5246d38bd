//! Benchmarks of every call and of `on_initialize` (frame-benchmarking v2). They also run as
//! tests: `cargo test -p pallet-leases --features runtime-benchmarks`.

use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get, Hooks,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use gpux_primitives::{
	attestation::MAX_GPUS_PER_MACHINE, AccessSpec, Balance, LeaseId, LeaseMode, LeaseWatch,
	MachineId, MachineRegistry,
};
use sp_runtime::{traits::Saturating, BoundedVec};

use crate::*;

/// Creates what the leases pallet needs from the rest of the runtime.
pub trait BenchmarkHelper<AccountId> {
	/// A listed machine of `gpus` GPUs whose terms allow leases of 10..=1_000 blocks, spot
	/// bids from 1 and on-demand leases at `ON_DEMAND_PRICE`.
	fn listed_machine(gpus: u32) -> MachineId;
}

/// The on-demand price `BenchmarkHelper` machines are listed at.
pub const ON_DEMAND_PRICE: Balance = 1_000_000_000_000;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, Balance::MAX / 4);
	who
}

fn access() -> AccessSpec {
	AccessSpec::longest()
}

fn duration<T: Config>() -> BlockNumberFor<T> {
	100u32.into()
}

fn setup<T: Config>() {
	T::Currency::set_balance(&T::Treasury::get(), T::Currency::minimum_balance());
}

/// Fills the close schedule from `from` on for `MaxCloseDelay` blocks, so the next close
/// scheduled at `from` probes every block it may.
fn fill_closes<T: Config>(from: BlockNumberFor<T>) {
	let mut block = from;
	for _ in 0..T::MaxCloseDelay::get() {
		let full: vec::Vec<LeaseId> =
			(0..T::MaxClosesPerBlock::get()).map(|i| LeaseId::MAX - u64::from(i)).collect();
		Closes::<T>::insert(block, BoundedVec::truncate_from(full));
		block = block.saturating_add(1u32.into());
	}
}

fn rent_lease<T: Config>(
	renter: &T::AccountId,
	machine: MachineId,
	gpus: u32,
	mode: LeaseMode,
	bid: Balance,
) -> LeaseId {
	Pallet::<T>::do_rent(renter.clone(), machine, gpus, mode, duration::<T>(), bid, access())
		.expect("rents")
		.0
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `m`: spot leases on the machine that the rent must preempt, one GPU each. A machine
	/// holds at most `MAX_GPUS_PER_MACHINE` of them at once; the cost is linear in `m`, so the
	/// measured slope carries on to the `MaxLeasesPerMachine` open leases `rent` is charged for.
	/// From one: a rent that preempts nothing takes a shorter path (the weights writer cannot
	/// fit storage only `m = 0` touches), covered by the charge at the bound.
	#[benchmark]
	fn rent(m: Linear<1, { (T::MaxLeasesPerMachine::get() - 1).min(MAX_GPUS_PER_MACHINE) }>) {
		setup::<T>();
		let machine = T::BenchmarkHelper::listed_machine(m);
		let spot_renter = funded::<T>("spot", 0);
		for _ in 0..m {
			// At least the spot price as it stands (it rises as the machine fills), and enough
			// for the escrow minimum.
			let bid = T::Machines::listed_machine(machine).map_or(0, |l| l.spot_price);
			rent_lease::<T>(&spot_renter, machine, 1, LeaseMode::Spot, bid.max(ON_DEMAND_PRICE));
		}
		let renter = funded::<T>("renter", 0);
		let lease = NextLeaseId::<T>::get();
		let starts_at = frame_system::Pallet::<T>::block_number().saturating_add(if m > 0 {
			T::SpotNoticeBlocks::get()
		} else {
			0u32.into()
		});
		fill_closes::<T>(starts_at.saturating_add(duration::<T>()));
		T::Watch::fill_start_checks_for_benchmark(starts_at);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(renter),
			machine,
			m,
			LeaseMode::OnDemand,
			duration::<T>(),
			ON_DEMAND_PRICE,
			access(),
		);

		assert!(Leases::<T>::contains_key(lease));
	}

	/// A rent of free GPUs, which reads none of the machine's leases; its close and its start
	/// check probe every block they may.
	#[benchmark]
	fn rent_free() {
		setup::<T>();
		let machine = T::BenchmarkHelper::listed_machine(1);
		let renter = funded::<T>("renter", 0);
		let lease = NextLeaseId::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		fill_closes::<T>(now.saturating_add(duration::<T>()));
		T::Watch::fill_start_checks_for_benchmark(now);

		#[extrinsic_call]
		rent(
			RawOrigin::Signed(renter),
			machine,
			1,
			LeaseMode::OnDemand,
			duration::<T>(),
			ON_DEMAND_PRICE,
			access(),
		);

		assert!(Leases::<T>::contains_key(lease));
	}

	#[benchmark]
	fn extend() {
		setup::<T>();
		let machine = T::BenchmarkHelper::listed_machine(1);
		let renter = funded::<T>("renter", 0);
		let lease = rent_lease::<T>(&renter, machine, 1, LeaseMode::OnDemand, ON_DEMAND_PRICE);
		let ends_at = Leases::<T>::get(lease).map(|l| l.ends_at).unwrap_or_default();
		fill_closes::<T>(ends_at.saturating_add(10u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), lease, 10u32.into());

		assert_eq!(
			Leases::<T>::get(lease).map(|l| l.ends_at.saturating_sub(l.starts_at)),
			Some(110u32.into())
		);
	}

	/// `m`: open one-GPU leases on the machine (at most `MAX_GPUS_PER_MACHINE` at once; linear).
	#[benchmark]
	fn terminate(m: Linear<1, { T::MaxLeasesPerMachine::get().min(MAX_GPUS_PER_MACHINE) }>) {
		setup::<T>();
		let machine = T::BenchmarkHelper::listed_machine(m);
		let renter = funded::<T>("renter", 0);
		let leases: vec::Vec<_> = (0..m)
			.map(|_| rent_lease::<T>(&renter, machine, 1, LeaseMode::OnDemand, ON_DEMAND_PRICE))
			.collect();
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(10u32.into()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), leases[0]);

		assert!(!Leases::<T>::get(leases[0]).is_some_and(|l| l.is_open()));
	}

	#[benchmark]
	fn settle() {
		setup::<T>();
		let machine = T::BenchmarkHelper::listed_machine(1);
		let renter = funded::<T>("renter", 0);
		let lease = rent_lease::<T>(&renter, machine, 1, LeaseMode::OnDemand, ON_DEMAND_PRICE);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(10u32.into()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), lease);

		assert!(Leases::<T>::get(lease).is_some_and(|l| l.paid > 0));
	}

	#[benchmark]
	fn rate() {
		setup::<T>();
		let machine = T::BenchmarkHelper::listed_machine(1);
		let renter = funded::<T>("renter", 0);
		let lease = rent_lease::<T>(&renter, machine, 1, LeaseMode::OnDemand, ON_DEMAND_PRICE);
		Pallet::<T>::do_terminate(renter.clone(), lease).expect("terminates");

		#[extrinsic_call]
		_(RawOrigin::Signed(renter), lease, 5);

		assert_eq!(Leases::<T>::get(lease).and_then(|l| l.rating), Some(5));
	}

	/// `n`: leases closing in the block, each on its own machine.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxClosesPerBlock::get() }>) {
		setup::<T>();
		let renter = funded::<T>("renter", 0);
		let leases: vec::Vec<_> = (0..n)
			.map(|_| {
				let machine = T::BenchmarkHelper::listed_machine(1);
				rent_lease::<T>(&renter, machine, 1, LeaseMode::OnDemand, ON_DEMAND_PRICE)
			})
			.collect();
		let end = frame_system::Pallet::<T>::block_number().saturating_add(duration::<T>());
		frame_system::Pallet::<T>::set_block_number(end);

		#[block]
		{
			Pallet::<T>::on_initialize(end);
		}

		assert!(leases.iter().all(|id| !Leases::<T>::get(id).is_some_and(|l| l.is_open())));
	}

	/// `n`: closed leases pruned in the block, each with its attestation record.
	#[benchmark]
	fn prune(n: Linear<0, { T::MaxPrunesPerBlock::get() }>) {
		setup::<T>();
		let renter = funded::<T>("renter", 0);
		let machine = T::BenchmarkHelper::listed_machine(1);
		let leases: vec::Vec<_> = (0..n)
			.map(|_| {
				let lease =
					rent_lease::<T>(&renter, machine, 1, LeaseMode::OnDemand, ON_DEMAND_PRICE);
				Pallet::<T>::do_terminate(renter.clone(), lease).expect("terminates");
				lease
			})
			.collect();
		let now = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::ClosedLeaseRetention::get());
		frame_system::Pallet::<T>::set_block_number(now);

		#[block]
		{
			Pallet::<T>::prune_closed(now);
		}

		assert!(leases.iter().all(|id| !Leases::<T>::contains_key(id)));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
