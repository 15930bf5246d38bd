use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

use super::parameters::dynamic_params::marketplace;
use crate::{
	AccountId, Attestation, Balance, Balances, BlockNumber, Leases, ProviderStaking, Reputation,
	Runtime, RuntimeEvent, RuntimeHoldReason, DAYS, HOURS, MINUTES, UNITS,
};

parameter_types! {
	pub const MaxMachinesPerProvider: u32 = 256;
	/// A provider's record with its longest metadata, about 300 bytes, at about 3 GPUX a
	/// kilobyte of state.
	pub const ProviderDeposit: Balance = UNITS;
	/// A machine's records here and in the attestation pallet (its heartbeat record with 16
	/// GPUs, about 1.2 KB in all).
	pub const MachineDeposit: Balance = 4 * UNITS;
	/// A resting order's record with its longest SSH key, about 1.2 KB.
	pub const OrderDeposit: Balance = 4 * UNITS;
	/// An order rests a week at most.
	pub const MaxOrderLifetime: BlockNumber = 7 * DAYS;
	/// A job's record with its CID and longest SSH key, about 1.5 KB.
	pub const JobDeposit: Balance = 5 * UNITS;
	pub const BidDeposit: Balance = UNITS;
	pub const PriorityFee: Balance = UNITS;
	/// Bid windows from a minute to a day.
	pub const MinBidWindow: BlockNumber = MINUTES;
	pub const MaxBidWindow: BlockNumber = DAYS;
	/// A job's result is due an hour after its lease ends; its submitter may dispute it for a
	/// day, like any lease.
	pub const ResultWindow: BlockNumber = HOURS;
	pub const JobDisputeWindow: BlockNumber = DAYS;
	/// A job's lease runs a month at most.
	pub const MaxJobDuration: BlockNumber = 30 * DAYS;
}

// A job's lease is kept (its payout held) until its result is decided; the windows fit well
// inside the closed-lease retention anyway.
const _: () = assert!(
	ResultWindow::get() + JobDisputeWindow::get() <= super::leases::ClosedLeaseRetention::get()
);

impl pallet_marketplace::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Sudo until governance's market_admin track exists.
	type AdminOrigin = EnsureRoot<AccountId>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type ProviderDeposit = ProviderDeposit;
	type MachineDeposit = MachineDeposit;
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
	type OrderDeposit = OrderDeposit;
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
	type JobDeposit = JobDeposit;
	type BidDeposit = BidDeposit;
	type PriorityFee = PriorityFee;
	type MinBidWindow = MinBidWindow;
	type MaxBidWindow = MaxBidWindow;
	type MaxBidsPerJob = ConstU32<16>;
	type MaxJobDuration = MaxJobDuration;
	type MaxAwardAttempts = ConstU32<2>;
	type MaxJobsPerBlock = ConstU32<8>;
	type ResultWindow = ResultWindow;
	type JobDisputeWindow = JobDisputeWindow;
	type WeightInfo = pallet_marketplace::weights::SubstrateWeight<Runtime>;
}
