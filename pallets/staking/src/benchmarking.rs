//! Benchmarks of every call and of applying a slash (frame-benchmarking v2). They also run as
//! tests: `cargo test -p pallet-provider-staking --features runtime-benchmarks`.

use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use gpux_primitives::{Balance, FaultKind, MachineId};
use sp_runtime::traits::{One, Saturating};

use crate::*;

/// Creates what the staking pallet needs from the rest of the runtime.
pub trait BenchmarkHelper<AccountId> {
	/// A machine of `provider` with `gpus` GPUs, listed or not.
	fn machine(provider: &AccountId, gpus: u32, listed: bool) -> MachineId;
	/// Opens a lease of `renter` on `machine` (one GPU, funded by the helper).
	fn lease(machine: MachineId, renter: &AccountId);
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, Balance::MAX / 8);
	who
}

/// A provider bonded for `machines` listed machines of one GPU each, plus `spare`.
fn bonded_provider<T: Config>(machines: u32, spare: Balance) -> T::AccountId {
	let provider = funded::<T>("provider", 0);
	for _ in 0..machines {
		T::BenchmarkHelper::machine(&provider, 1, true);
	}
	let need = Pallet::<T>::requirement(machines);
	Pallet::<T>::do_bond(provider.clone(), need.saturating_add(spare).max(1)).expect("bonds");
	provider
}

/// Renters a benchmark's machine can have: one GPU each, at most `MAX_GPUS_PER_MACHINE` at
/// once. Costs are linear in renters, so the slope carries on to `MaxSlashRenters`. Reports
/// start at one renter: a machine without leases takes another path (its listing is reindexed
/// instead of leases closed), and the weights writer cannot fit a storage item that only one
/// value of `r` touches; the calls are charged at `MaxSlashRenters` in any case.
fn max_renters<T: Config>() -> u32 {
	T::MaxSlashRenters::get().min(gpux_primitives::attestation::MAX_GPUS_PER_MACHINE)
}

/// A listed machine of `provider` with one GPU per lease (at least one), bonded for, with
/// `leases` leases open.
fn leased_machine<T: Config>(provider: &T::AccountId, leases: u32) -> MachineId {
	let machine = T::BenchmarkHelper::machine(provider, leases.max(1), true);
	Pallet::<T>::do_bond(provider.clone(), Pallet::<T>::requirement(leases.max(1))).expect("bonds");
	for index in 0..leases {
		T::BenchmarkHelper::lease(machine, &funded::<T>("renter", index));
	}
	machine
}

/// As `leased_machine`, then reported for a `SpecMismatch`.
fn reported_machine<T: Config>(provider: &T::AccountId, leases: u32) -> (MachineId, SlashId) {
	let machine = leased_machine::<T>(provider, leases);
	let slash = NextSlashId::<T>::get();
	Pallet::<T>::do_report_fault(machine, FaultKind::SpecMismatch, None, None).expect("reports");
	(machine, slash)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		let provider = funded::<T>("provider", 0);
		let amount = T::MinBondPerGpu::get().max(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), amount);

		assert_eq!(Bonds::<T>::get(&provider).map(|l| l.active), Some(amount));
	}

	/// `m`: the provider's listed machines, each looked at for the requirement.
	#[benchmark]
	fn unbond(m: Linear<0, { T::MaxProviderMachines::get() }>) {
		let provider = bonded_provider::<T>(m, 1_000);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), 1_000);

		assert_eq!(Bonds::<T>::get(&provider).map(|l| l.unlocking.len()), Some(1));
	}

	/// `c`: unbonded chunks released.
	#[benchmark]
	fn withdraw_unbonded(c: Linear<1, { T::MaxUnlockingChunks::get() }>) {
		let provider = bonded_provider::<T>(0, c.into());
		for _ in 0..c {
			Pallet::<T>::do_unbond(provider.clone(), 1).expect("unbonds");
			let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
			frame_system::Pallet::<T>::set_block_number(next);
		}
		let later =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		frame_system::Pallet::<T>::set_block_number(later);
		let before = T::Currency::balance(&provider);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()));

		assert!(T::Currency::balance(&provider) > before);
	}

	/// `r`: leases on the machine, closed and their renters recorded for compensation.
	#[benchmark]
	fn report_offline(r: Linear<1, { max_renters::<T>() }>) -> Result<(), BenchmarkError> {
		let machine = leased_machine::<T>(&funded::<T>("provider", 0), r);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, machine);

		assert_eq!(Slashes::<T>::iter().count(), 1);
		Ok(())
	}

	/// As `report_offline`, with a kind that also closes leases and slashes most.
	#[benchmark]
	fn report_fault(r: Linear<1, { max_renters::<T>() }>) -> Result<(), BenchmarkError> {
		let machine = leased_machine::<T>(&funded::<T>("provider", 0), r);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, machine, FaultKind::SpecMismatch);

		assert_eq!(Slashes::<T>::iter().count(), 1);
		Ok(())
	}

	#[benchmark]
	fn cancel_slash() -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let (_, slash) = reported_machine::<T>(&provider, 1);
		let reason: CancelReasonOf<T> =
			alloc::vec![b'r'; T::MaxCancelReasonLen::get() as usize].try_into().expect("fits");
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, slash, reason);

		assert!(!Slashes::<T>::contains_key(slash));
		Ok(())
	}

	#[benchmark]
	fn on_initialize_base() {
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Pallet::<T>::apply_due_slashes(now);
		}
	}

	/// `r`: renters compensated; `m`: the provider's machines looked at and delisted.
	#[benchmark]
	fn apply_slash(
		r: Linear<0, { max_renters::<T>() }>,
		m: Linear<0, { T::MaxProviderMachines::get() - 1 }>,
	) {
		let provider = funded::<T>("provider", 0);
		for _ in 0..m {
			T::BenchmarkHelper::machine(&provider, 1, true);
		}
		Pallet::<T>::do_bond(provider.clone(), Pallet::<T>::requirement(m).max(1)).expect("bonds");
		let (_, id) = reported_machine::<T>(&provider, r);
		let slash = Slashes::<T>::take(id).expect("pending");
		Pallet::<T>::unschedule_slash(id, slash.applies_at);
		// Bonded for less than what it commits and the slash (helpers may bond for each machine
		// as well): the slash leaves too little and delists them all.
		let committed =
			<T::Market as gpux_primitives::ProviderMarket<_>>::committed_gpus(&provider);
		let enough = Pallet::<T>::requirement(committed).saturating_add(slash.amount);
		// ...but more than the slash, so the ledger stays.
		let bonded = enough.saturating_sub(1).max(slash.amount.saturating_add(1));
		Bonds::<T>::mutate(&provider, |ledger| {
			if let Some(ledger) = ledger {
				ledger.active = ledger.active.min(bonded);
			}
		});

		#[block]
		{
			Pallet::<T>::apply_slash(id, slash);
		}

		assert_eq!(Bonds::<T>::get(&provider).map(|l| l.pending_slashes), Some(0));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
