use frame_support::traits::{tokens::imbalance::ResolveTo, ConstU32};

use super::{
	marketplace::MaxMachinesPerProvider, parameters::dynamic_params::provider_staking,
	TreasuryAccount,
};
use crate::{Attestation, Balances, Leases, Marketplace, Runtime, RuntimeEvent, RuntimeHoldReason};

#[cfg(feature = "runtime-benchmarks")]
use {
	crate::{AccountId, Balance, UNITS},
	frame_support::traits::Get,
};

impl pallet_provider_staking::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type Market = Marketplace;
	type Leases = Leases;
	type Disputes = Attestation;
	type GovernanceOrigin = super::governance::MarketAdminOrRoot;
	type Slashed = ResolveTo<TreasuryAccount, Balances>;
	type MinBondPerGpu = provider_staking::MinBondPerGpu;
	type UnbondingPeriod = provider_staking::UnbondingPeriod;
	type SlashDeferPeriod = provider_staking::SlashDeferPeriod;
	type OfflineSlash = provider_staking::OfflineSlash;
	type FailedChallengeSlash = provider_staking::FailedChallengeSlash;
	type SpecMismatchSlash = provider_staking::SpecMismatchSlash;
	type LeaseAbandonedSlash = provider_staking::LeaseAbandonedSlash;
	type DisputedSlash = provider_staking::DisputedSlash;
	type RenterShare = provider_staking::RenterShare;
	type ReporterShare = provider_staking::ReporterShare;
	type MaxUnlockingChunks = ConstU32<32>;
	type MaxSlashesPerBlock = ConstU32<16>;
	// Every lease a machine can have.
	type MaxSlashRenters = super::leases::MaxLeasesPerMachine;
	type MaxProviderMachines = MaxMachinesPerProvider;
	type MaxCancelReasonLen = ConstU32<256>;
	type WeightInfo = pallet_provider_staking::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
}

/// A machine of `gpus` GPUs listed on the benchmark terms, its provider funded and bonded for
/// it: what every pallet's benchmarks that need a listing start from.
#[cfg(feature = "runtime-benchmarks")]
pub fn bonded_listed_machine(provider: &AccountId, gpus: u32) -> gpux_primitives::MachineId {
	fund_and_bond(provider, gpus);
	Marketplace::benchmark_listed_machine(provider.clone(), gpus, super::leases::benchmark_terms())
}

/// As `bonded_listed_machine`, with the worker key given (to sign attestations).
#[cfg(feature = "runtime-benchmarks")]
pub fn bonded_machine_with_key(
	provider: &AccountId,
	gpus: u32,
	worker_key: gpux_primitives::WorkerKey,
) -> gpux_primitives::MachineId {
	fund_and_bond(provider, gpus);
	Marketplace::benchmark_machine_with_key(
		provider.clone(),
		gpus,
		super::leases::benchmark_terms(),
		worker_key,
	)
}

#[cfg(feature = "runtime-benchmarks")]
fn fund_and_bond(provider: &AccountId, gpus: u32) {
	use frame_support::traits::fungible::Mutate;
	let bond = provider_staking::MinBondPerGpu::get().saturating_mul(gpus.into());
	let _ = Balances::mint_into(provider, UNITS.saturating_add(bond));
	let _ = crate::ProviderStaking::bond(crate::RuntimeOrigin::signed(provider.clone()), bond);
}

/// `renter`, funded, rents one GPU of `machine` for 100 blocks; returns the lease.
#[cfg(feature = "runtime-benchmarks")]
pub fn rented_lease(
	machine: gpux_primitives::MachineId,
	renter: &AccountId,
) -> gpux_primitives::LeaseId {
	use frame_support::traits::fungible::Mutate;
	let lease = pallet_leases::NextLeaseId::<Runtime>::get();
	let _ = Balances::mint_into(renter, 1_000 * UNITS);
	let _ = Leases::rent(
		crate::RuntimeOrigin::signed(renter.clone()),
		machine,
		1,
		gpux_primitives::LeaseMode::OnDemand,
		100,
		Balance::MAX,
		gpux_primitives::AccessSpec::example(),
	);
	lease
}

/// Machines and leases for the staking benchmarks, made through the marketplace and leases.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_provider_staking::benchmarking::BenchmarkHelper<AccountId> for BenchmarkHelper {
	fn machine(provider: &AccountId, gpus: u32, listed: bool) -> gpux_primitives::MachineId {
		let machine = bonded_listed_machine(provider, gpus);
		if !listed {
			let _ = Marketplace::delist(crate::RuntimeOrigin::signed(provider.clone()), machine);
		}
		machine
	}

	fn lease(machine: gpux_primitives::MachineId, renter: &AccountId) {
		rented_lease(machine, renter);
	}
}
