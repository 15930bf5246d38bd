use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32},
	PalletId,
};
use sp_runtime::traits::AccountIdConversion;

use super::parameters::dynamic_params::leases;

use crate::{
	AccountId, Attestation, Balances, BlockNumber, Marketplace, Reputation, Runtime, RuntimeEvent,
	RuntimeHoldReason, DAYS, HOURS, MILLI_UNITS,
};

parameter_types! {
	/// The treasury's pot: protocol and priority fees, forfeited deposits, the treasury's
	/// share of slashes and transaction fees land here.
	pub TreasuryAccount: AccountId = TreasuryPalletId::get().into_account_truncating();
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	pub const BlocksPerHour: BlockNumber = HOURS;
	/// A lease holds at least one GPU, so a machine never needs more leases than GPUs, plus
	/// those under notice.
	pub const MaxLeasesPerMachine: u32 = 64;
	pub const ClosedLeaseRetention: BlockNumber = 3 * DAYS;
}

impl pallet_leases::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type Machines = Marketplace;
	type Watch = Attestation;
	type Reputation = Reputation;
	type Treasury = TreasuryAccount;
	type ProtocolFee = leases::ProtocolFee;
	type BlocksPerHour = BlocksPerHour;
	type SpotNoticeBlocks = leases::SpotNoticeBlocks;
	type MaxLeasesPerMachine = MaxLeasesPerMachine;
	/// 2,560 leases ending in the same block close within 4 blocks of their end.
	type MaxClosesPerBlock = ConstU32<512>;
	type MaxCloseDelay = ConstU32<4>;
	/// 0.01 GPUX: a minute of the cheapest GPU class at its ceiling is more.
	type MinEscrow = ConstU128<{ 10 * MILLI_UNITS }>;
	/// Three days: past the one-day dispute window, with time for a late rating.
	type ClosedLeaseRetention = ClosedLeaseRetention;
	/// Above `MaxClosesPerBlock`, so the queue shrinks faster than scheduled closes fill it.
	type MaxPrunesPerBlock = ConstU32<1024>;
	type WeightInfo = pallet_leases::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
}

/// Listed machines for the leases benchmarks, made through the marketplace.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_leases::benchmarking::BenchmarkHelper<AccountId> for BenchmarkHelper {
	fn listed_machine(gpus: u32) -> gpux_primitives::MachineId {
		let machine = pallet_marketplace::NextMachineId::<Runtime>::get();
		let provider: AccountId = frame_benchmarking::account("provider", machine as u32, 0);
		super::provider_staking::bonded_listed_machine(&provider, gpus)
	}
}

/// Terms the benchmarks list machines on: leases of 10..=1_000 blocks, spot bids from 1.
#[cfg(feature = "runtime-benchmarks")]
pub fn benchmark_terms() -> gpux_primitives::ListingTerms<crate::Balance, BlockNumber> {
	gpux_primitives::ListingTerms {
		on_demand_price: pallet_leases::benchmarking::ON_DEMAND_PRICE,
		spot_floor_price: 1,
		min_lease_blocks: 10,
		max_lease_blocks: 1_000,
		available_from: 0,
		available_until: None,
		access: gpux_primitives::AccessMethods { ssh: true, jupyter: false, api: false },
	}
}
