use frame_support::{
	parameter_types,
	traits::{ConstU32, Randomness},
};
use sp_runtime::{
	traits::{BlakeTwo256, Hash as _},
	transaction_validity::TransactionPriority,
	Perbill,
};

use gpux_primitives::attestation::ChallengeSize;

use super::{marketplace::MaxMachinesPerProvider, parameters::dynamic_params::attestation};
use crate::{
	BlockNumber, Hash, Leases, Marketplace, ProviderStaking, Reputation, Runtime, RuntimeCall,
	RuntimeEvent, System, UncheckedExtrinsic,
};

#[cfg(feature = "runtime-benchmarks")]
use crate::AccountId;

/// Machines challenged per epoch (whole fleets: the last one drawn may take it past this).
const CHALLENGES_PER_EPOCH: u32 = 16;

/// What a real network's genesis sets for each genesis GPU class (by name): its challenge size
/// (`attestation.challengeSizes`) and commit window in blocks (`attestation.commitWindows`),
/// derived in docs/attestation.md so that the class's published dense INT8 throughput answers
/// with at least 3× margin and a 64-core server CPU's (30.7 TOPS) misses by at least 5×
/// (`tests::production_challenges_meet_the_margins`). They assume a tensor-core solver, which
/// the worker does not have yet: a network enables them (genesis or `setChallengeSize` and
/// `setCommitWindow` by referendum) once it is measured. Dev and local chains use tiny sizes.
pub const PRODUCTION_CHALLENGES: [(&[u8], ChallengeSize, BlockNumber); 4] = [
	(b"NVIDIA GeForce RTX 4090", ChallengeSize { rows: 13_724_000, rounds: 256 }, 7),
	(b"NVIDIA L40S", ChallengeSize { rows: 10_293_000, rounds: 256 }, 5),
	(b"NVIDIA A100 80GB", ChallengeSize { rows: 15_440_000, rounds: 256 }, 8),
	(b"NVIDIA H100 80GB", ChallengeSize { rows: 5_147_000, rounds: 256 }, 2),
];

parameter_types! {
	/// The sweep checks 500 machines a block: 5,000 machines within one window.
	pub const MaxChecksPerBlock: u32 = 500;
	pub const MaxTrackedMachines: u32 = 5_000;
	pub const MaxOfflineReportsPerBlock: u32 = 8;
	/// Two thirds of the verifiers, rounded up.
	pub const VerdictQuorum: Perbill = Perbill::from_percent(66);
	/// Workers' and verifiers' transactions go before ordinary ones.
	pub const UnsignedPriority: TransactionPriority = TransactionPriority::MAX / 2;
}

impl pallet_attestation::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Machines = Marketplace;
	type Leases = Leases;
	type Faults = ProviderStaking;
	type Reputation = Reputation;
	type Randomness = ParentHashRandomness;
	type GovernanceOrigin = super::governance::MarketAdminOrRoot;
	type HeartbeatInterval = attestation::HeartbeatInterval;
	type OfflineGraceWindows = attestation::OfflineGraceWindows;
	type MaxTrackedMachines = MaxTrackedMachines;
	type MaxChecksPerBlock = MaxChecksPerBlock;
	type MaxOfflineReportsPerBlock = MaxOfflineReportsPerBlock;
	type Deposits = ProviderStaking;
	type DisputeDeposit = attestation::DisputeDeposit;
	type StartAttestationDeadline = attestation::StartAttestationDeadline;
	// A start check only reads and queues (abandons wait for `report_abandons`), so a block
	// can check as many leases as it can rent: 1,800 and more.
	type MaxStartChecksPerBlock = ConstU32<2048>;
	type MaxStartCheckDelay = ConstU32<4>;
	type MaxAbandonReportsPerBlock = ConstU32<8>;
	type MaxPendingAbandons = ConstU32<4096>;
	type SpecMismatchHeartbeats = attestation::SpecMismatchHeartbeats;
	type ChallengePeriod = attestation::ChallengePeriod;
	type CommitWindow = attestation::CommitWindow;
	type RevealWindow = attestation::RevealWindow;
	type ChallengesPerEpoch = ConstU32<CHALLENGES_PER_EPOCH>;
	// A whole fleet is challenged in one block: room for the largest one after 15 machines.
	type MaxChallengesPerEpoch =
		ConstU32<{ CHALLENGES_PER_EPOCH - 1 + MaxMachinesPerProvider::get() }>;
	type MaxMachinesPerProvider = MaxMachinesPerProvider;
	type RevealedRowsPerChallenge = ConstU32<4>;
	type DefaultChallengeSize = attestation::DefaultChallengeSize;
	type MaxVerifiers = ConstU32<32>;
	type VerdictQuorum = VerdictQuorum;
	type DisputeWindow = attestation::DisputeWindow;
	type MaxDisputeReasonLen = ConstU32<256>;
	type UnsignedPriority = UnsignedPriority;
	type WeightInfo = pallet_attestation::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
}

/// Randomness from the parent block's hash. Aura has no VRF, so this is the best source the
/// chain has: the author of a block knows it before anyone else and can withhold a block to
/// re-roll it (docs/attestation.md says what that allows and what it does not).
pub struct ParentHashRandomness;

impl Randomness<Hash, BlockNumber> for ParentHashRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let parent = System::parent_hash();
		let known_since = System::block_number().saturating_sub(1);
		(BlakeTwo256::hash_of(&(parent, subject)), known_since)
	}
}

/// Offchain workers build bare (unsigned) transactions: the validators' verdicts.
impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateBare<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

/// Machines and leases for the attestation benchmarks, made through the marketplace and leases.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_attestation::benchmarking::BenchmarkHelper<AccountId> for BenchmarkHelper {
	fn listed_machine(key: gpux_primitives::WorkerKey) -> gpux_primitives::MachineId {
		let machine = pallet_marketplace::NextMachineId::<Runtime>::get();
		let provider: AccountId = frame_benchmarking::account("provider", machine as u32, 0);
		super::provider_staking::bonded_machine_with_key(&provider, 8, key)
	}

	fn fleet_machine(key: gpux_primitives::WorkerKey) -> gpux_primitives::MachineId {
		let provider: AccountId = frame_benchmarking::account("fleet", 0, 0);
		super::provider_staking::bonded_machine_with_key(&provider, 8, key)
	}

	fn open_lease(machine: gpux_primitives::MachineId) -> (gpux_primitives::LeaseId, AccountId) {
		let renter: AccountId = frame_benchmarking::account("renter", machine as u32, 0);
		(super::provider_staking::rented_lease(machine, &renter), renter)
	}
}
