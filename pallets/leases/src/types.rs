//! Lease records and their states.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{AccessSpec, Balance, LeaseId, LeaseMode, MachineId};
use scale_info::TypeInfo;

/// Why a lease closed.
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
)]
pub enum CloseReason {
	/// It ran its full length.
	Expired,
	/// The renter ended it early.
	RenterTerminated,
	/// A spot lease gave its GPUs to a better-paying rent after its notice.
	Preempted,
	/// The provider failed to deliver (staking issue).
	ProviderFault,
	/// The provider left the market.
	ProviderExit,
	/// Governance closed it.
	Governance,
}

/// Where a lease is in its life.
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
)]
pub enum LeaseStatus<BlockNumber> {
	/// Running (or waiting for its start block).
	Active,
	/// A spot lease under notice: it closes as `Preempted` at `until`.
	Preempting { until: BlockNumber },
	/// Over; the escrow is settled and released.
	Closed { reason: CloseReason },
}

/// One lease.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct LeaseRecord<AccountId, BlockNumber> {
	pub renter: AccountId,
	pub provider: AccountId,
	pub machine: MachineId,
	pub gpus: u32,
	pub mode: LeaseMode,
	/// On-demand: the listing's price; spot: the renter's bid. Per GPU-hour.
	pub price_per_gpu_hour: Balance,
	/// Accrual starts here (later than the rent when it waits for a preemption notice).
	pub starts_at: BlockNumber,
	/// Accrual stops here; the lease closes at this block at the latest.
	pub ends_at: BlockNumber,
	/// The block whose schedule closes the lease (`ends_at`, a preemption deadline, or the
	/// next block with room when that one's schedule was full); once closed, the block it
	/// closed in.
	pub closes_at: BlockNumber,
	/// What is held in escrow for this lease now.
	pub escrow: Balance,
	/// What has been paid out of escrow so far (provider and fee together).
	pub paid: Balance,
	pub access: AccessSpec,
	pub status: LeaseStatus<BlockNumber>,
	/// The rent whose preemption notice this spot lease is under, if any: if that rent closes
	/// before it starts, the notice is cancelled.
	pub preempted_by: Option<LeaseId>,
	/// Whether this rent put spot leases under notice: however early it ends, it pays for at
	/// least `SpotNoticeBlocks` of its own.
	pub preempted_others: bool,
	/// The renter's stars (1–5), once, after the lease closed.
	pub rating: Option<u8>,
	/// A job's lease (`Some`): what it paid for the provider, held in the renter's account
	/// (`JobPayment`) until the job's result is accepted or refused. `None`: paid out at once.
	pub held_payout: Option<gpux_primitives::Balance>,
	/// The protocol's share of each payment: the fee in force when the lease opened, so a
	/// change by governance never alters a lease already agreed.
	pub protocol_fee: sp_runtime::Perbill,
}

impl<AccountId, BlockNumber: Copy> LeaseRecord<AccountId, BlockNumber> {
	/// Not closed yet.
	pub fn is_open(&self) -> bool {
		!matches!(self.status, LeaseStatus::Closed { .. })
	}

	/// Where the lease's time ends: where accrual stops, or for a closed lease the block it
	/// closed in if that came first. Its dispute window runs from here.
	pub fn ended_at(&self) -> BlockNumber
	where
		BlockNumber: Ord + Copy,
	{
		if self.is_open() {
			self.accrues_until()
		} else {
			self.accrues_until().min(self.closes_at)
		}
	}

	/// Closed by a fault of its provider, whose slash compensated its renter.
	pub fn closed_by_fault(&self) -> bool {
		matches!(self.status, LeaseStatus::Closed { reason: CloseReason::ProviderFault })
	}

	/// Holds GPUs: open and not giving them up under a preemption notice.
	pub fn occupies_gpus(&self) -> bool {
		matches!(self.status, LeaseStatus::Active)
	}

	/// Where accrual stops: its end, or its preemption deadline if that is sooner. A lease
	/// closed after its deadline (a full schedule, a late settle) pays not one block more.
	pub fn accrues_until(&self) -> BlockNumber
	where
		BlockNumber: Ord,
	{
		match self.status {
			LeaseStatus::Preempting { until } => until.min(self.ends_at),
			_ => self.ends_at,
		}
	}
}

/// A lease of the runtime.
pub type LeaseRecordOf<T> = LeaseRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
