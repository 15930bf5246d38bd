use frame_support::{parameter_types, traits::ConstU32};

use super::parameters::dynamic_params::marketplace;
use crate::{
	Attestation, Balances, BlockNumber, Leases, ProviderStaking, Reputation, Runtime, RuntimeEvent,
	RuntimeHoldReason, DAYS, MINUTES,
};

parameter_types! {
	pub const MaxMachinesPerProvider: u32 = 256;
	/// An order rests a week at most.
	pub const MaxOrderLifetime: BlockNumber = 7 * DAYS;
	/// Bid windows from a minute to a day.
	pub const MinBidWindow: BlockNumber = MINUTES;
	pub const MaxBidWindow: BlockNumber = DAYS;
	/// A job's lease runs a month at most.
	pub const MaxJobDuration: BlockNumber = 30 * DAYS;
}

impl pallet_marketplace::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = super::governance::MarketAdminOrRoot;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type ProviderDeposit = marketplace::ProviderDeposit;
	type MachineDeposit = marketplace::MachineDeposit;
	type Leases = Leases;
	type Bonds = ProviderStaking;
	type Monitor = Attestation;
	type MaxMetadataLen = ConstU32<256>;
	type MaxModelLen = ConstU32<64>;
	type MaxFleetLabelLen = ConstU32<32>;
	type MaxMachinesPerProvider = MaxMachinesPerProvider;
	type MaxFleetSize = ConstU32<64>;
	// A heartbeat reports at most this many GPUs: a bigger machine could never match its spec.
	type MaxGpusPerMachine = ConstU32<{ gpux_primitives::attestation::MAX_GPUS_PER_MACHINE }>;
	type MaxGpuClasses = ConstU32<64>;
	type MfpBand = marketplace::MfpBand;
	type PriceSmoothing = marketplace::PriceSmoothing;
	type FullWeightLeaseValue = marketplace::FullWeightLeaseValue;
	type Reputation = Reputation;
	type Deposits = ProviderStaking;
	type OrderDeposit = marketplace::OrderDeposit;
	type MaxRestingOrders = ConstU32<256>;
	type MaxOrdersPerRenter = ConstU32<16>;
	type MaxMatchCandidates = ConstU32<8>;
	type MaxOrderMatchesPerBlock = ConstU32<8>;
	type MaxOrderExpiriesPerBlock = ConstU32<64>;
	type MaxOrderLifetime = MaxOrderLifetime;
	type SpotTargetUtilization = marketplace::SpotTargetUtilization;
	type SpotStep = marketplace::SpotStep;
	type SpotEpochBlocks = marketplace::SpotEpochBlocks;
	type SpotFloorShare = marketplace::SpotFloorShare;
	type Treasury = super::leases::TreasuryAccount;
	type JobDeposit = marketplace::JobDeposit;
	type BidDeposit = marketplace::BidDeposit;
	type PriorityFee = marketplace::PriorityFee;
	type MinBidWindow = MinBidWindow;
	type MaxBidWindow = MaxBidWindow;
	type MaxBidsPerJob = ConstU32<16>;
	type MaxJobDuration = MaxJobDuration;
	type MaxAwardAttempts = ConstU32<2>;
	type MaxJobsPerBlock = ConstU32<8>;
	type ResultWindow = marketplace::ResultWindow;
	type JobDisputeWindow = marketplace::JobDisputeWindow;
	type WeightInfo = pallet_marketplace::weights::SubstrateWeight<Runtime>;
}
