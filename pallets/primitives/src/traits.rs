//! How pallets reach each other. The runtime wires the implementations; mocks fake them.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::{DispatchError, DispatchResult};

use crate::market::{GpuClassId, LeaseId, ListedMachine, MachineId, WorkerKey};

/// The marketplace, as the leases pallet sees it.
pub trait MachineRegistry<AccountId, Balance, BlockNumber> {
	/// The machine and its terms, if it exists and is listed now.
	fn listed_machine(machine: MachineId)
		-> Option<ListedMachine<AccountId, Balance, BlockNumber>>;
	/// How many GPUs the machine has, if it is registered (listed or not).
	fn machine_gpus(machine: MachineId) -> Option<u32>;
	/// Whether the machine is registered (listed or not).
	fn machine_exists(machine: MachineId) -> bool {
		Self::machine_gpus(machine).is_some()
	}
	/// The machine's last open lease closed: an unlisted machine stops needing bond.
	fn last_lease_closed(machine: MachineId);
	/// A lease on `machine` opened holding `gpus` GPUs: fewer are free for orders now.
	fn gpus_leased(machine: MachineId, gpus: u32);
	/// A lease on `machine` holding `gpus` GPUs closed: they are free for orders again.
	fn gpus_released(machine: MachineId, gpus: u32);
	/// GPUs the open leases on `machine` hold, as the registry counts them.
	fn leased_gpus(machine: MachineId) -> u32;
	/// A lease on `machine` at `price` per GPU-hour closed, having paid `value` in all: a
	/// sample for its class's reference price, weighted by what was really paid (a lease
	/// rented and terminated at once weighs nothing).
	fn lease_priced(machine: MachineId, price: Balance, value: Balance);
}

/// The attestation pallet, as the marketplace sees it: who watches listed and leased machines.
pub trait MachineMonitor {
	/// Starts watching `machine` (heartbeat windows, challenges) if it is not watched yet.
	/// Fails when no more machines can be watched: nothing may be listed unwatched.
	fn watch(machine: MachineId) -> DispatchResult;
	/// Whether `machine` is watched now.
	fn is_watched(machine: MachineId) -> bool;
	/// Whether `machine` has a proof-of-GPU challenge open: it may not leave the market then.
	fn is_challenged(machine: MachineId) -> bool;
	/// Whether a lease of `machine` may still be disputed, or has a dispute or fault report
	/// undecided: it may not leave the market then, or its fault could not be slashed.
	fn is_disputable(machine: MachineId) -> bool;
	/// `machine` left the market: forget what was kept of it.
	fn machine_left(machine: MachineId);
}

/// Nobody watches: for tests and runtimes without an attestation pallet.
impl MachineMonitor for () {
	fn watch(_: MachineId) -> DispatchResult {
		Ok(())
	}
	fn is_watched(_: MachineId) -> bool {
		true
	}
	fn is_challenged(_: MachineId) -> bool {
		false
	}
	fn is_disputable(_: MachineId) -> bool {
		false
	}
	fn machine_left(_: MachineId) {}
}

/// The marketplace, as the staking pallet sees it: what a provider's bond must back.
pub trait ProviderMarket<AccountId> {
	/// The machine's provider and GPU count, if it is registered.
	fn machine_owner(machine: MachineId) -> Option<(AccountId, u32)>;
	/// GPUs of the provider's listed machines.
	fn listed_gpus(provider: &AccountId) -> u32;
	/// GPUs of the provider's machines that are listed or have open leases: what its bond
	/// must back.
	fn committed_gpus(provider: &AccountId) -> u32;
	/// Withdraws the machine's listing (leases in progress continue). Says whether it was
	/// listed.
	fn delist(machine: MachineId) -> bool;
	/// Withdraws every listing of the provider (leases in progress continue). Returns how many
	/// machines were delisted and how many were looked at.
	fn delist_all(provider: &AccountId) -> (u32, u32);
}

/// The staking pallet, as the marketplace sees it.
pub trait ProviderBonds<AccountId> {
	/// Whether the provider's active bond backs `gpus` listed or leased GPUs.
	fn backs(provider: &AccountId, gpus: u32) -> bool;
	/// Whether it still will once the slashes pending against it are applied: a renter is not
	/// handed a lease that a pending slash leaves unbacked.
	fn backs_after_slashes(provider: &AccountId, gpus: u32) -> bool {
		Self::backs(provider, gpus)
	}
	/// Whether the active bond backs `gpus` at the bond per GPU they were committed at (the
	/// lower of the provider's committed rate and the current one): what invariants hold to,
	/// since a raised rate binds only new commitments.
	fn backs_as_committed(provider: &AccountId, gpus: u32) -> bool {
		Self::backs(provider, gpus)
	}
	/// The provider's `gpus` listed or leased GPUs were just found backed at the current rate
	/// (it listed more): from now on it is held to this rate.
	fn committed(_provider: &AccountId, _gpus: u32) {}
	/// Bonds the (funded) provider for `gpus` GPUs: benchmarks list machines on runtimes that
	/// require a bond.
	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmark(_provider: &AccountId, _gpus: u32) {}
}

/// No bond required: for tests and runtimes without provider staking.
impl<AccountId> ProviderBonds<AccountId> for () {
	fn backs(_: &AccountId, _: u32) -> bool {
		true
	}
}

/// The leases pallet, as the marketplace and the staking pallet see it.
pub trait LeaseRegistry<AccountId, Balance> {
	/// Leases on `machine` that are not closed yet.
	fn open_leases_on(machine: MachineId) -> u32;
	/// Closes every open lease on `machine` as a provider fault: the provider is paid what
	/// accrued, the renter gets the unused escrow back at once. Returns each renter with what
	/// its lease had paid: its loss, and the most its share of the slash may make good.
	fn close_for_fault(machine: MachineId) -> Vec<(AccountId, Balance)>;
}

/// The leases pallet, as the marketplace's order matching sees it: a matched order opens a
/// lease as a direct rent would.
pub trait LeaseOpener<AccountId, Balance, BlockNumber> {
	/// Rents `gpus` GPUs of `machine` for `renter` as `rent` does, `price` being the most it pays
	/// per GPU-hour (a spot lease's bid); changes nothing if it fails. Returns the lease and
	/// what opening it cost (at most `open_lease_weight`).
	fn open_lease(
		renter: &AccountId,
		machine: MachineId,
		gpus: u32,
		mode: crate::market::LeaseMode,
		duration: BlockNumber,
		price: Balance,
		access: crate::market::AccessSpec,
	) -> Result<(LeaseId, sp_runtime::Weight), DispatchError>;
	/// The most one `open_lease` costs.
	fn open_lease_weight() -> sp_runtime::Weight;
}

/// The leases pallet, as the marketplace's jobs see it: a job's lease runs at the winning bid
/// and pays its provider only once the job's result is accepted.
pub trait JobLeases<AccountId, Balance, BlockNumber> {
	/// Rents `gpus` GPUs of `machine` on demand for `renter` at exactly `price` per GPU-hour (the
	/// winning bid), holding what it pays for the provider until `release_payout` or
	/// `refund_payout`; changes nothing if it fails.
	fn open_job_lease(
		renter: &AccountId,
		machine: MachineId,
		gpus: u32,
		duration: BlockNumber,
		price: Balance,
		access: crate::market::AccessSpec,
	) -> Result<LeaseId, DispatchError>;
	/// Refuses, as `open_job_lease` would, a bid whose lease could never open: `machine` not
	/// listed, `price` above its class's MFP, `duration` outside the listing's bounds, more
	/// GPUs than it has, or a budget below the least a lease holds.
	fn check_job_lease(
		machine: MachineId,
		gpus: u32,
		duration: BlockNumber,
		price: Balance,
	) -> sp_runtime::DispatchResult;
	/// What such a lease costs in all; `None` if that overflows.
	fn job_lease_cost(gpus: u32, duration: BlockNumber, price: Balance) -> Option<Balance>;
	/// Whether the lease has closed; `None` if there is no such lease.
	fn is_closed(lease: LeaseId) -> Option<bool>;
	/// Pays the provider, less the protocol fee, what the lease holds for it. Returns what the
	/// provider got.
	fn release_payout(lease: LeaseId) -> Balance;
	/// Gives the renter back what the lease holds for its provider. Returns it.
	fn refund_payout(lease: LeaseId) -> Balance;
	/// The most `open_job_lease` costs.
	fn open_job_lease_weight() -> sp_runtime::Weight;
	/// The most `release_payout` or `refund_payout` costs.
	fn payout_weight() -> sp_runtime::Weight;
	/// Ends `lease` now: for benchmarks of what follows a lease's end (does nothing unless
	/// the implementation is built for benchmarks).
	fn end_lease_for_benchmarks(_lease: LeaseId) {}
}

/// No leases anywhere: for runtimes and tests without a leases pallet.
impl<AccountId, Balance> LeaseRegistry<AccountId, Balance> for () {
	fn open_leases_on(_: MachineId) -> u32 {
		0
	}
	fn close_for_fault(_: MachineId) -> Vec<(AccountId, Balance)> {
		Vec::new()
	}
}

/// What a provider can be slashed for.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
pub enum FaultKind {
	/// The machine was down: reported, or heartbeats missed during a lease past a grace.
	Offline,
	/// The machine failed or missed a proof-of-GPU challenge.
	FailedChallenge,
	/// The machine is not the hardware it was registered as.
	SpecMismatch,
	/// The provider stopped serving a lease it was paid for.
	LeaseAbandoned,
	/// Governance upheld a renter's dispute of one lease.
	Disputed,
}

impl FaultKind {
	/// Whether the machine's open leases close when this fault is reported: the renter cannot
	/// use a machine that is down, fake, or abandoned; a failed challenge alone does not stop one,
	/// and an upheld dispute concerns one lease, not the machine's other renters.
	pub fn closes_leases(self) -> bool {
		!matches!(self, FaultKind::FailedChallenge | FaultKind::Disputed)
	}
}

/// Where faults come in: the staking pallet implements it; governance and the attestation
/// pallet call it.
pub trait FaultReporter<AccountId> {
	/// Reports `kind` against `machine`. `reporter`, if any, gets a share of the slash.
	fn report_fault(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<AccountId>,
	) -> DispatchResult;
	/// As `report_fault`, for a fault on one lease: its `renter` lost `loss` on it (what the
	/// lease paid) and is compensated from the slash as the renters of a closed lease are.
	fn report_lease_fault(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<AccountId>,
		renter: AccountId,
		loss: crate::Balance,
	) -> DispatchResult;
	/// The most one report costs (every lease of the machine closed), so that a caller that
	/// reports from a hook can charge it.
	fn fault_weight() -> sp_runtime::Weight;
}

/// What reputation learns from the other pallets. Every input concerns a machine and its
/// provider; both scores move.
pub trait ReputationFeed<AccountId, Balance> {
	/// A heartbeat window ended: `met` if the machine sent its heartbeat in it.
	fn uptime_window(machine: MachineId, provider: &AccountId, met: bool);
	/// A proof-of-GPU challenge was decided.
	fn challenge_decided(machine: MachineId, provider: &AccountId, passed: bool);
	/// A lease closed after paying `value`; `fault` if the provider caused the close.
	fn lease_closed(machine: MachineId, provider: &AccountId, value: Balance, fault: bool);
	/// A renter rated a lease that paid `value`: 1 to 5 stars.
	fn lease_rated(machine: MachineId, provider: &AccountId, value: Balance, stars: u8);
}

/// Reputation that learns nothing: for tests and runtimes without a reputation pallet.
impl<AccountId, Balance> ReputationFeed<AccountId, Balance> for () {
	fn uptime_window(_: MachineId, _: &AccountId, _: bool) {}
	fn challenge_decided(_: MachineId, _: &AccountId, _: bool) {}
	fn lease_closed(_: MachineId, _: &AccountId, _: Balance, _: bool) {}
	fn lease_rated(_: MachineId, _: &AccountId, _: Balance, _: u8) {}
}

/// Scores as the marketplace reads them, in parts per million (500_000 is neutral).
pub trait ReputationScores<AccountId> {
	/// The machine's score now.
	fn machine_score(machine: MachineId) -> sp_runtime::Permill;
	/// The provider's score now.
	fn provider_score(provider: &AccountId) -> sp_runtime::Permill;
}

/// Refundable deposits renters put down for orders, jobs and fault reports (anti-spam), held
/// in their own account until the order fills, is cancelled or expires, or the report is
/// decided.
pub trait RenterDeposits<AccountId, Balance> {
	/// Holds `amount` of the renter's free balance.
	fn hold_deposit(renter: &AccountId, amount: Balance) -> DispatchResult;
	/// Releases up to `amount` of the renter's deposit; returns what was released.
	fn release_deposit(renter: &AccountId, amount: Balance) -> Balance;
	/// Takes up to `amount` of the renter's deposit to the treasury (a rejected claim);
	/// returns what was taken.
	fn forfeit_deposit(renter: &AccountId, amount: Balance) -> Balance;
}

/// A registered machine as the attestation pallet sees it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttestedMachine<AccountId> {
	pub provider: AccountId,
	/// The key its worker signs heartbeats and attestations with.
	pub worker_key: WorkerKey,
	pub gpu_class: GpuClassId,
	pub gpu_count: u32,
	/// Memory per GPU the spec claims, GiB.
	pub vram_gib_per_gpu: u32,
	/// Whether it is listed now.
	pub listed: bool,
}

/// The marketplace, as the attestation pallet sees it.
pub trait MachineKeys<AccountId> {
	/// The machine, if it is registered.
	fn attested_machine(machine: MachineId) -> Option<AttestedMachine<AccountId>>;
	/// Every machine `provider` registered, listed or not: at most the marketplace's
	/// `MaxMachinesPerProvider`.
	fn machines_of(provider: &AccountId) -> Vec<MachineId>;
}

/// The attestation pallet, as the leases pallet sees it: every lease's start must be attested
/// in time, a closed lease stays open to dispute for a while, and a lease's records are pruned
/// together.
pub trait LeaseWatch<BlockNumber> {
	/// Has the attestation pallet check, a fixed time after `starts_at`, that `lease`'s start
	/// was attested. Refused when no block near that deadline has room for the check.
	fn expect_start(lease: LeaseId, starts_at: BlockNumber) -> DispatchResult;
	/// `lease` on `machine` closed, its accrual having ended at `ended_at`: its start needs no
	/// check any more, and `machine` stays answerable for the lease's dispute window, which
	/// runs from the later of `ended_at` and now.
	fn lease_closed(lease: LeaseId, machine: MachineId, ended_at: BlockNumber);
	/// The closed `lease` is pruned: drops what was attested of it. `false`, dropping nothing,
	/// while a dispute or fault report of it is undecided.
	fn forget(lease: LeaseId) -> bool;
	/// Fills every block `expect_start(_, starts_at)` may put its check in but the last: a
	/// rent's benchmark then measures the most blocks it can probe.
	#[cfg(feature = "runtime-benchmarks")]
	fn fill_start_checks_for_benchmark(_starts_at: BlockNumber) {}
}

impl<BlockNumber> LeaseWatch<BlockNumber> for () {
	fn expect_start(_: LeaseId, _: BlockNumber) -> DispatchResult {
		Ok(())
	}
	fn lease_closed(_: LeaseId, _: MachineId, _: BlockNumber) {}
	fn forget(_: LeaseId) -> bool {
		true
	}
}

/// The attestation pallet, as the staking pallet sees it: a provider with disputes undecided
/// keeps its bond until they are, so an upheld one still finds something to slash.
pub trait DisputeRegistry<AccountId> {
	/// Disputes and fault reports of the provider's leases that governance has not decided.
	fn undecided_disputes(provider: &AccountId) -> u32;
}

impl<AccountId> DisputeRegistry<AccountId> for () {
	fn undecided_disputes(_: &AccountId) -> u32 {
		0
	}
}

/// A lease as the attestation pallet sees it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LeaseFacts<AccountId, BlockNumber> {
	pub renter: AccountId,
	pub provider: AccountId,
	pub machine: MachineId,
	/// Not closed yet.
	pub open: bool,
	/// When it starts (or started).
	pub starts_at: BlockNumber,
	/// When it ends at the latest, or the block it closed in if that came first: its
	/// dispute window runs from here.
	pub ends_at: BlockNumber,
}

/// The leases pallet, as lease attestations and disputes see it.
pub trait LeaseDisputes<AccountId, Balance, BlockNumber> {
	/// The lease, if it exists.
	fn lease_facts(lease: LeaseId) -> Option<LeaseFacts<AccountId, BlockNumber>>;
	/// Refunds a lease whose dispute governance upheld: an open lease closes with its whole
	/// escrow back to the renter. Returns the refund and the renter's loss for the dispute's
	/// slash to compensate: what the lease paid, or nothing if a fault already closed it (its
	/// renter was compensated by that fault).
	fn refund_disputed(lease: LeaseId) -> Result<(Balance, Balance), DispatchError>;
	/// Closes `lease`, if it is open, as its provider's fault with its whole escrow back to
	/// the renter. Returns the refund (nothing for a lease closed already) and the renter's
	/// loss (what the lease had paid), which the fault's slash compensates; `None` if the
	/// lease is gone or a fault closed it already (that fault's slash compensated it).
	fn abandon(lease: LeaseId) -> Option<(Balance, Balance)>;
}
