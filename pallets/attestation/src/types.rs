//! What the chain keeps about machines' liveness, challenges and lease attestations.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	attestation::{ChallengeSize, Endpoint, Telemetry, MAX_REVEALED_ROWS, ROW_WIDTH},
	challenge::Hash32,
	MachineId,
};
use scale_info::TypeInfo;
use sp_core::ConstU32;
use sp_runtime::{
	traits::{AtLeast32BitUnsigned, One},
	SaturatedConversion,
};

/// A tracked machine's last heartbeat and its window counters.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct HeartbeatRecord<BlockNumber> {
	/// Its place in `TrackedMachines`.
	pub slot: u32,
	/// The first window it is checked in; earlier windows are not held against it.
	pub since_window: u32,
	/// The window of its last heartbeat (meaningless before the first, see `received_at`).
	pub last_window: u32,
	/// Bit `i` set: a heartbeat came in window `last_window - i`. Lets the sweep, which runs
	/// a window behind, tell whether a window was met after a later heartbeat arrived.
	pub recent: u64,
	/// The block that included the last heartbeat; `None` while none came (a machine is
	/// watched from its listing, whether or not its worker runs).
	pub received_at: Option<BlockNumber>,
	/// The last heartbeat's telemetry (empty before the first).
	pub telemetry: Telemetry,
	/// Windows missed in a row under a lease (reset when a window is met, when the machine
	/// has no lease, and when an offline fault is reported).
	pub missed_in_a_row: u32,
	/// Whether the machine had a lease when the last window was checked. The sweep runs a
	/// window behind: only a window that began under a lease may count toward a fault.
	pub leased_at_last_check: bool,
	/// The GPU set (`Telemetry::gpu_set`) of its first heartbeat since it was watched: later
	/// heartbeats must report the same GPUs.
	pub gpu_set: Option<Hash32>,
	/// Heartbeats in a row whose telemetry disagreed with the registered spec or GPU set
	/// (reset by one that agrees, and when a spec mismatch is reported).
	pub mismatched_in_a_row: u32,
	/// Windows checked so far, and how many of them were met.
	pub windows_checked: u32,
	pub windows_met: u32,
}

impl<BlockNumber> HeartbeatRecord<BlockNumber> {
	/// Whether a heartbeat came in `window`.
	pub fn met(&self, window: u32) -> bool {
		match self.last_window.checked_sub(window) {
			Some(age) if age < 64 => (self.recent >> age) & 1 == 1,
			_ => false,
		}
	}

	/// A watched machine that has sent no heartbeat yet, first checked in `since_window`.
	pub fn unheard(slot: u32, since_window: u32) -> Self {
		Self {
			slot,
			since_window,
			last_window: since_window,
			recent: 0,
			received_at: None,
			telemetry: Telemetry::default(),
			missed_in_a_row: 0,
			leased_at_last_check: false,
			gpu_set: None,
			mismatched_in_a_row: 0,
			windows_checked: 0,
			windows_met: 0,
		}
	}

	/// Whether a heartbeat for `window` is still welcome: one per window.
	pub fn accepts(&self, window: u32) -> bool {
		self.received_at.is_none() || self.last_window < window
	}

	/// Records a heartbeat in `window` (one it `accepts`).
	pub fn beat(&mut self, window: u32) {
		let age = window.saturating_sub(self.last_window);
		self.recent = if age >= 64 { 1 } else { (self.recent << age) | 1 };
		self.last_window = window;
	}
}

/// A heartbeat record of the runtime.
pub type HeartbeatRecordOf<T> = HeartbeatRecord<BlockNumberFor<T>>;

/// How heartbeat windows are numbered: window `window` starts at `block`, and it and every later
/// one last `interval` blocks. A new `HeartbeatInterval` takes effect at the next window's start
/// (`Pallet::follow_interval`), so window numbers never jump or repeat.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct WindowAnchor<BlockNumber> {
	pub block: BlockNumber,
	pub window: u32,
	pub interval: BlockNumber,
}

impl<BlockNumber: AtLeast32BitUnsigned + Copy> WindowAnchor<BlockNumber> {
	fn length(&self) -> BlockNumber {
		self.interval.max(One::one())
	}

	/// The window block `at` falls in (blocks before the anchor are counted back at today's
	/// length: only lease starts there are compared, never heartbeats).
	pub fn window_of(&self, at: BlockNumber) -> u32 {
		if at >= self.block {
			self.window.saturating_add(((at - self.block) / self.length()).saturated_into())
		} else {
			let back = (self.block - at).saturating_add(self.length() - One::one()) / self.length();
			self.window.saturating_sub(back.saturated_into())
		}
	}

	/// The first block of `window`.
	pub fn start_of(&self, window: u32) -> BlockNumber {
		if window >= self.window {
			self.block.saturating_add(self.length().saturating_mul((window - self.window).into()))
		} else {
			self.block.saturating_sub(self.length().saturating_mul((self.window - window).into()))
		}
	}

	/// Whether a window starts at `at`.
	pub fn is_start(&self, at: BlockNumber) -> bool {
		at >= self.block && ((at - self.block) % self.length()).is_zero()
	}
}

/// Where the windows' sweep is: machines at `next` and above are not yet checked for
/// `window`.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default, TypeInfo, MaxEncodedLen)]
pub struct SweepCursor {
	pub window: u32,
	pub next: u32,
	pub finished: bool,
}

impl SweepCursor {
	/// The last window the sweep has checked for the machine in `slot`, in window `now`: the
	/// previous one if the sweep got past the slot, else the one before.
	pub fn last_checked(&self, now: u32, slot: u32) -> u32 {
		let swept = self.window.saturating_add(1) == now && (self.finished || self.next > slot);
		now.saturating_sub(if swept { 1 } else { 2 })
	}
}

/// Where a challenge stands.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum ChallengeState<BlockNumber> {
	/// Issued; the machine must commit by `commit_by`.
	AwaitingCommit,
	/// Committed in block `at`; rows are drawn from that block's hash.
	Committed { root: Hash32, at: BlockNumber },
	/// Rows revealed and proven against the root; verifiers recompute them.
	Revealed { root: Hash32 },
}

/// One proof-of-GPU challenge.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct ChallengeRecord<AccountId, BlockNumber> {
	pub machine: MachineId,
	pub provider: AccountId,
	/// Seeds the first rows and the matrix `B`.
	pub seed: Hash32,
	/// Rows to compute and rounds to take them through.
	pub size: ChallengeSize,
	/// Rows to reveal.
	pub rows: u32,
	pub issued_at: BlockNumber,
	pub commit_by: BlockNumber,
	/// The rows to reveal are drawn in this block, after every commit deadline of the epoch.
	pub draw_at: BlockNumber,
	pub reveal_by: BlockNumber,
	/// Verdicts accepted until here; then an undecided challenge expires.
	pub decide_by: BlockNumber,
	pub state: ChallengeState<BlockNumber>,
	pub passes: u32,
	pub fails: u32,
}

/// What a beacon round's output is for.
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
pub enum BeaconPurpose {
	/// The next epoch's challenge draw and seeds, closed at the epoch's start.
	Issue,
	/// The rows this epoch's challenges reveal, closed after every commit deadline.
	Rows,
}

/// The verifiers' beacon round in progress: each verifier may reveal, in blocks
/// `opens_at..closes_at`, the next value of its hash chain (a preimage of its anchor).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct BeaconRound<BlockNumber> {
	pub number: u32,
	pub purpose: BeaconPurpose,
	/// The epoch (its start block) the round belongs to.
	pub epoch: BlockNumber,
	pub opens_at: BlockNumber,
	pub closes_at: BlockNumber,
	/// Machines tracked when the round opened: an `Issue` round's draw reads only these
	/// slots, so machines tracked once its reveals are public cannot steer the draw.
	pub tracked: u32,
}

impl<BlockNumber: PartialOrd> BeaconRound<BlockNumber> {
	/// Whether a reveal in block `now` counts.
	pub fn is_open(&self, now: &BlockNumber) -> bool {
		self.opens_at <= *now && *now < self.closes_at
	}
}

/// A challenge of the runtime.
pub type ChallengeRecordOf<T> =
	ChallengeRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// Revealed final rows kept for the verifiers: (index, values). Proofs were checked on reveal.
pub type RowValues =
	BoundedVec<(u32, BoundedVec<i8, ConstU32<ROW_WIDTH>>), ConstU32<MAX_REVEALED_ROWS>>;

/// How a challenge ended.
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
pub enum ChallengeOutcome {
	/// A quorum of verifiers recomputed the rows and they matched.
	Passed,
	/// A quorum of verifiers found a wrong row.
	Failed,
	/// No commitment by the deadline.
	MissedCommit,
	/// No reveal by the deadline.
	MissedReveal,
	/// Verifiers reached no quorum in time: nobody is blamed.
	Undecided,
}

impl ChallengeOutcome {
	/// Whether the machine is at fault.
	pub fn is_fault(self) -> bool {
		matches!(self, Self::Failed | Self::MissedCommit | Self::MissedReveal)
	}
}

/// What keeps a machine answerable for its closed leases.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default, TypeInfo, MaxEncodedLen)]
pub struct DisputeHold<BlockNumber> {
	/// Disputes and fault reports of its leases that governance has not decided.
	pub undecided: u32,
	/// Until this block a closed lease of it may still be disputed.
	pub until: BlockNumber,
}

/// A renter's dispute of a lease.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(MaxReason))]
pub struct Dispute<BlockNumber, MaxReason: Get<u32>> {
	pub reason: BoundedVec<u8, MaxReason>,
	pub raised_at: BlockNumber,
	/// Governance's answer: `Some(true)` upheld (refunded), `Some(false)` rejected.
	pub resolution: Option<bool>,
	/// Held from the renter until governance answers: back if upheld, to the treasury if
	/// rejected.
	pub deposit: gpux_primitives::Balance,
}

/// What the worker attested about one lease, and the renter's dispute if any.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(MaxReason))]
pub struct LeaseAttestation<BlockNumber, MaxReason: Get<u32>> {
	pub machine: MachineId,
	/// The endpoint delivered, and when that was attested.
	pub started: Option<(Endpoint, BlockNumber)>,
	/// The digest of what ran, and when the end was attested.
	pub ended: Option<(Hash32, BlockNumber)>,
	pub dispute: Option<Dispute<BlockNumber, MaxReason>>,
}

/// A dispute reason of the runtime.
pub type DisputeReasonOf<T> = BoundedVec<u8, <T as crate::Config>::MaxDisputeReasonLen>;
/// A lease attestation of the runtime.
pub type LeaseAttestationOf<T> =
	LeaseAttestation<BlockNumberFor<T>, <T as crate::Config>::MaxDisputeReasonLen>;
