#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod beacon;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod challenges;
mod heartbeats;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
mod lease_attestations;
pub mod migrations;
#[cfg(test)]
mod mock;
mod offchain;
#[cfg(test)]
mod tests;
pub mod types;
mod unsigned;
pub mod weights;

pub use beacon::{BEACON_REVEAL_BLOCKS, ROW_DRAW_BLOCKS};
pub use challenges::{MIN_COMMIT_WINDOW, VERDICT_BLOCKS};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::attestation";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{EnsureOrigin, Randomness},
	};
	use frame_system::pallet_prelude::*;
	use gpux_primitives::{
		attestation::{ChallengeSize, Endpoint, RevealedRows, Telemetry, MAX_REVEALED_ROWS},
		challenge::Hash32,
		Balance, ChallengeId, FaultKind, FaultReporter, GpuClassId, LeaseDisputes, LeaseId,
		LeaseRegistry, MachineId, MachineKeys, RenterDeposits, ReputationFeed, VerifierId,
		VerifierSignature,
	};
	use sp_core::sr25519;
	use sp_runtime::{
		traits::{SaturatedConversion, Zero},
		Perbill,
	};

	/// Layout 5: the int8 challenge's sizes (`ChallengeSize`) and int8 revealed rows
	/// (`migrations::MigrateV4ToV5`). A change of layout bumps it and ships a migration in the
	/// runtime's `migrations` list.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(5);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config + frame_system::offchain::CreateBare<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// Machines and their worker keys.
		type Machines: MachineKeys<Self::AccountId>;
		/// Open leases per machine; lease facts and refunds for disputes.
		type Leases: LeaseRegistry<Self::AccountId, Balance>
			+ LeaseDisputes<Self::AccountId, Balance, BlockNumberFor<Self>>;
		/// Where offline machines and failed challenges are reported (the staking pallet).
		type Faults: FaultReporter<Self::AccountId>;
		/// Learns uptime windows and challenge results.
		type Reputation: ReputationFeed<Self::AccountId, Balance>;
		/// Picks the challenged machines and seeds their challenges.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;
		/// Resolves disputes, sets challenge sizes and the verifier set (governance).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Blocks per heartbeat window: a tracked machine must send one heartbeat in each.
		#[pallet::constant]
		type HeartbeatInterval: Get<BlockNumberFor<Self>>;
		/// Missed windows in a row a leased machine is allowed before it is reported offline.
		#[pallet::constant]
		type OfflineGraceWindows: Get<u32>;
		/// Most machines watched at once: every listed or leased machine is, from its listing
		/// on; a listing beyond this is refused.
		#[pallet::constant]
		type MaxTrackedMachines: Get<u32>;
		/// Most machines the sweep checks per block. `HeartbeatInterval` × this must cover
		/// `MaxTrackedMachines`, so every window is checked before the next one ends.
		#[pallet::constant]
		type MaxChecksPerBlock: Get<u32>;
		/// Most offline faults the sweep reports per block (each closes leases and schedules
		/// a slash); further checks wait for the next block.
		#[pallet::constant]
		type MaxOfflineReportsPerBlock: Get<u32>;
		/// Heartbeats in a row whose telemetry disagrees with the machine's spec (GPU count,
		/// memory, driver) or its first heartbeat's GPUs before the sweep reports a spec
		/// mismatch. One odd reading is not a fault.
		#[pallet::constant]
		type SpecMismatchHeartbeats: Get<u32>;
		/// Blocks per challenge epoch.
		#[pallet::constant]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;
		/// Blocks after issue within which the machine must commit.
		#[pallet::constant]
		type CommitWindow: Get<BlockNumberFor<Self>>;
		/// Blocks after the commit deadline within which it must reveal.
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;
		/// Machines challenged per epoch: providers are drawn until their fleets reach this
		/// many (a fleet is never split, so an epoch may have more, up to
		/// `MaxChallengesPerEpoch`).
		#[pallet::constant]
		type ChallengesPerEpoch: Get<u32>;
		/// Most challenges in one epoch: at least `ChallengesPerEpoch` − 1 +
		/// `MaxMachinesPerProvider`, so the last fleet drawn always fits whole.
		#[pallet::constant]
		type MaxChallengesPerEpoch: Get<u32>;
		/// The marketplace's bound on one provider's machines.
		#[pallet::constant]
		type MaxMachinesPerProvider: Get<u32>;
		/// Rows each challenge reveals (at most `MAX_REVEALED_ROWS`).
		#[pallet::constant]
		type RevealedRowsPerChallenge: Get<u32>;
		/// The challenge size of GPU classes without their own.
		#[pallet::constant]
		type DefaultChallengeSize: Get<ChallengeSize>;
		/// Most verifiers (validators' `gpux` keys).
		#[pallet::constant]
		type MaxVerifiers: Get<u32>;
		/// Share of the verifiers whose matching verdicts decide a challenge (rounded up).
		#[pallet::constant]
		type VerdictQuorum: Get<Perbill>;
		/// Blocks after a lease's end (or its end attestation) its renter may dispute it.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;
		/// Longest dispute reason, bytes.
		#[pallet::constant]
		type MaxDisputeReasonLen: Get<u32>;
		/// Blocks after a lease starts by which its worker must attest the start; a lease
		/// still unattested then is abandoned: closed with its whole escrow refunded, and its
		/// provider reported (`LeaseAbandoned`).
		#[pallet::constant]
		type StartAttestationDeadline: Get<BlockNumberFor<Self>>;
		/// Most start checks in one block; bounds `on_initialize`. A check only reads: a lease
		/// it finds unattested waits in `PendingAbandons`.
		#[pallet::constant]
		type MaxStartChecksPerBlock: Get<u32>;
		/// How many blocks past its deadline a start check may move when blocks are full; a
		/// rent that finds none with room is refused (`StartChecksFull`).
		#[pallet::constant]
		type MaxStartCheckDelay: Get<u32>;
		/// Most abandoned leases closed and reported in one block (each report may close a
		/// machine's leases); the rest wait in `PendingAbandons` for a later block.
		#[pallet::constant]
		type MaxAbandonReportsPerBlock: Get<u32>;
		/// Rents are refused (`AbandonsBacklogged`) while this many abandoned leases wait for
		/// their report. With the start checks already scheduled, this bounds
		/// `PendingAbandons`.
		#[pallet::constant]
		type MaxPendingAbandons: Get<u32>;
		/// Holds renters' dispute and fault-report deposits, and takes a rejected one's.
		type Deposits: RenterDeposits<Self::AccountId, Balance>;
		/// What a renter puts down to dispute a lease or report a fault on it: back if upheld,
		/// to the treasury if rejected. Disputes hold a machine and its provider's bond until
		/// governance answers, so they are not free.
		#[pallet::constant]
		type DisputeDeposit: Get<Balance>;
		/// Pool priority of workers' and verifiers' unsigned transactions.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;
		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
		/// Creates machines and leases for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// Last heartbeat and window counters of each tracked machine.
	#[pallet::storage]
	pub type Heartbeats<T: Config> = StorageMap<_, Twox64Concat, MachineId, HeartbeatRecordOf<T>>;

	/// Tracked machines by slot `0..TrackedMachineCount`, so the sweep and the challenge draw
	/// reach them without iterating a map.
	#[pallet::storage]
	pub type TrackedMachines<T: Config> = StorageMap<_, Twox64Concat, u32, MachineId>;

	/// How many machines are tracked.
	#[pallet::storage]
	pub type TrackedMachineCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// How heartbeat windows are numbered: from genesis, moved to the next window's start when
	/// governance changes `HeartbeatInterval`. Workers read it to name their window.
	#[pallet::storage]
	pub type HeartbeatWindows<T: Config> =
		StorageValue<_, WindowAnchor<BlockNumberFor<T>>, OptionQuery>;

	/// Progress of the check of the last finished heartbeat window.
	#[pallet::storage]
	pub type Sweep<T: Config> = StorageValue<_, SweepCursor, ValueQuery>;

	/// Where the current challenge epoch ends: the next epoch starts at the first multiple of
	/// `ChallengePeriod` from here.
	#[pallet::storage]
	pub type EpochEndsAt<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Challenges not decided yet.
	#[pallet::storage]
	pub type Challenges<T: Config> = StorageMap<_, Twox64Concat, ChallengeId, ChallengeRecordOf<T>>;

	/// The id the next challenge gets.
	#[pallet::storage]
	pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

	/// The challenges of the current epoch that are not decided yet.
	#[pallet::storage]
	pub type OpenChallenges<T: Config> =
		StorageValue<_, BoundedVec<ChallengeId, T::MaxChallengesPerEpoch>, ValueQuery>;

	/// Revealed rows of a challenge, kept until it is decided so verifiers can recompute them.
	#[pallet::storage]
	pub type RevealedRowsOf<T: Config> = StorageMap<_, Twox64Concat, ChallengeId, RowValues>;

	/// The hash of the evidence file (the GPUs' confidential-computing attestation reports)
	/// a challenged machine attested, kept until the challenge is decided; the
	/// `GpuEvidenceAttested` event (and the extrinsic) remain.
	#[pallet::storage]
	pub type GpuEvidenceHashes<T: Config> = StorageMap<_, Twox64Concat, ChallengeId, Hash32>;

	/// Verdicts given: challenge → verifier → passed.
	#[pallet::storage]
	pub type Verdicts<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ChallengeId, Blake2_128Concat, VerifierId, bool>;

	/// Challenge size (rows and rounds) by GPU class, where governance set one.
	#[pallet::storage]
	pub type ChallengeSizes<T: Config> = StorageMap<_, Twox64Concat, GpuClassId, ChallengeSize>;

	/// Blocks after issue within which a GPU class's challenges must be committed, where
	/// governance set them (`CommitWindow` otherwise).
	#[pallet::storage]
	pub type CommitWindows<T: Config> = StorageMap<_, Twox64Concat, GpuClassId, u32>;

	/// The open challenge of each challenged machine.
	#[pallet::storage]
	pub type ChallengeOf<T: Config> = StorageMap<_, Twox64Concat, MachineId, ChallengeId>;

	/// Machines whose challenge a closed epoch failed (a missed commitment or reveal),
	/// waiting for their fault report: `MaxOfflineReportsPerBlock` a block, since one epoch
	/// may close hundreds. At most one entry per tracked machine.
	#[pallet::storage]
	pub type PendingChallengeFaults<T: Config> = CountedStorageMap<_, Twox64Concat, MachineId, ()>;

	/// The validators' `gpux` keys whose offchain workers sign verdicts.
	#[pallet::storage]
	pub type Verifiers<T: Config> =
		StorageValue<_, BoundedVec<VerifierId, T::MaxVerifiers>, ValueQuery>;

	/// Each verifier's beacon hash chain: the last value it revealed, or its anchor. Its next
	/// reveal must hash to this. Only verifiers in `Verifiers` have one.
	#[pallet::storage]
	pub type BeaconAnchors<T: Config> = StorageMap<_, Blake2_128Concat, VerifierId, Hash32>;

	/// The beacon round in progress.
	#[pallet::storage]
	pub type CurrentBeacon<T: Config> = StorageValue<_, BeaconRound<BlockNumberFor<T>>>;

	/// The values revealed in the round in progress, by verifier.
	#[pallet::storage]
	pub type BeaconReveals<T: Config> =
		StorageValue<_, BoundedVec<(VerifierId, Hash32), T::MaxVerifiers>, ValueQuery>;

	/// The epoch's row draw: (the epoch's start, the beacon output the rows to reveal are drawn
	/// from), set after every commit deadline of that epoch.
	#[pallet::storage]
	pub type RowDraw<T: Config> = StorageValue<_, (BlockNumberFor<T>, Hash32)>;

	/// Leases whose start attestation is checked in a block.
	#[pallet::storage]
	pub type StartChecks<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<LeaseId, T::MaxStartChecksPerBlock>,
		ValueQuery,
	>;

	/// The block each pending start check is in, by lease: a lease that closes first takes
	/// its check off that block, so closed leases hold no room in `StartChecks`.
	#[pallet::storage]
	pub type StartCheckBlocks<T: Config> = StorageMap<_, Twox64Concat, LeaseId, BlockNumberFor<T>>;

	/// Leases found unattested at their start check, waiting to be abandoned and their
	/// machine reported (`MaxAbandonReportsPerBlock` a block). Their start can no longer be
	/// attested.
	#[pallet::storage]
	pub type PendingAbandons<T: Config> = CountedStorageMap<_, Twox64Concat, LeaseId, ()>;

	/// What keeps a machine answerable for its closed leases: it may not deregister while a
	/// lease of it may still be disputed or has a dispute or fault report undecided.
	#[pallet::storage]
	pub type DisputeHolds<T: Config> =
		StorageMap<_, Twox64Concat, MachineId, DisputeHold<BlockNumberFor<T>>, ValueQuery>;

	/// Disputes and fault reports of each provider's leases that governance has not decided;
	/// the staking pallet keeps the provider's bond while there are any.
	#[pallet::storage]
	pub type UndecidedDisputes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Renters' fault reports awaiting governance, by lease: the fault kind and the deposit
	/// held. The report's evidence is the lease's dispute reason.
	#[pallet::storage]
	pub type FaultClaims<T: Config> = StorageMap<_, Twox64Concat, LeaseId, (FaultKind, Balance)>;

	/// Worker attestations and renter disputes by lease.
	#[pallet::storage]
	pub type LeaseAttestations<T: Config> =
		StorageMap<_, Twox64Concat, LeaseId, LeaseAttestationOf<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators' `gpux` keys.
		pub verifiers: alloc::vec::Vec<VerifierId>,
		/// Challenge size per GPU class.
		pub challenge_sizes: alloc::vec::Vec<(GpuClassId, ChallengeSize)>,
		/// Commit window per GPU class, blocks.
		pub commit_windows: alloc::vec::Vec<(GpuClassId, u32)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Pallet::<T>::follow_interval(Zero::zero());
			// A bad preset must stop the node loudly before launch.
			Pallet::<T>::do_set_verifiers(
				self.verifiers.clone().try_into().expect("genesis verifiers fit MaxVerifiers"),
			)
			.expect("genesis verifiers are distinct");
			for (class, size) in &self.challenge_sizes {
				Pallet::<T>::do_set_challenge_size(*class, *size).expect("genesis size is valid");
			}
			for (class, blocks) in &self.commit_windows {
				Pallet::<T>::do_set_commit_window(*class, Some(*blocks))
					.expect("genesis commit window is valid");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A machine's heartbeat for `window` arrived.
		HeartbeatReceived { machine: MachineId, window: u32 },
		/// Governance changed `HeartbeatInterval`: from `window` on, windows last `interval`
		/// blocks.
		HeartbeatIntervalChanged { window: u32, interval: BlockNumberFor<T> },
		/// A leased machine missed more heartbeat windows than the grace allows and was
		/// reported offline.
		OfflineReported { machine: MachineId, missed_windows: u32 },
		/// A lease's start was not attested by its deadline: it closed with `refunded` back to
		/// its renter, and its machine was reported `LeaseAbandoned`.
		LeaseAbandoned { lease: LeaseId, machine: MachineId, refunded: Balance },
		/// A machine's heartbeats disagreed with its registered spec or GPUs `heartbeats` times
		/// in a row, and a spec mismatch was reported.
		SpecMismatchReported { machine: MachineId, heartbeats: u32 },
		/// A machine passed `challenge`, but its last heartbeat showed `reported` usable GPUs
		/// of the `registered` ones: a spec mismatch was reported.
		ChallengedGpusMissing {
			challenge: ChallengeId,
			machine: MachineId,
			registered: u32,
			reported: u32,
		},
		/// A machine stopped being watched: it left the market or has nothing listed or
		/// leased.
		MachineUntracked { machine: MachineId },
		/// A machine must prove its GPU: take the `size.rows` int8 rows seeded by `seed`
		/// through `size.rounds` rounds, commit the Merkle root of the final rows' hashes by
		/// `commit_by`, reveal the drawn rows by `reveal_by`.
		ChallengeIssued {
			challenge: ChallengeId,
			machine: MachineId,
			seed: Hash32,
			size: ChallengeSize,
			commit_by: BlockNumberFor<T>,
			reveal_by: BlockNumberFor<T>,
		},
		/// The machine committed; the rows to reveal are drawn from the hash of this block.
		ChallengeCommitted { challenge: ChallengeId, root: Hash32 },
		/// The drawn rows were revealed and match the commitment; verifiers recompute them.
		ChallengeRevealed { challenge: ChallengeId },
		/// A verifier recomputed the rows.
		VerdictSubmitted { challenge: ChallengeId, verifier: VerifierId, passed: bool },
		/// A challenge ended.
		ChallengeDecided { challenge: ChallengeId, machine: MachineId, outcome: ChallengeOutcome },
		/// The worker delivered the lease at `endpoint`.
		LeaseStartAttested { lease: LeaseId, machine: MachineId, endpoint: Endpoint },
		/// The worker removed the lease's workspace; `digest` summarises what ran.
		LeaseEndAttested { lease: LeaseId, machine: MachineId, digest: Hash32 },
		/// The renter disputed the lease; governance resolves it.
		/// `deposit` is held until governance answers.
		LeaseDisputed {
			lease: LeaseId,
			renter: T::AccountId,
			reason: DisputeReasonOf<T>,
			deposit: Balance,
		},
		/// A renter reported a fault on its lease with a deposit.
		FaultClaimed { lease: LeaseId, renter: T::AccountId, kind: FaultKind, deposit: Balance },
		/// A renter's fault report was decided: upheld (by the chain's own check or by
		/// governance), the deposit went back and the fault was reported with the renter as
		/// reporter; rejected, the deposit went to the treasury.
		FaultClaimDecided { lease: LeaseId, kind: FaultKind, upheld: bool },
		/// Governance resolved a dispute: `upheld` refunded the renter `refunded`.
		DisputeResolved { lease: LeaseId, upheld: bool, refunded: Balance },
		/// Governance set a GPU class's challenge size.
		ChallengeSizeSet { gpu_class: GpuClassId, size: ChallengeSize },
		/// Governance set a GPU class's commit window: its challenges issued from now on must
		/// be committed within `blocks` (`None`: the runtime's `CommitWindow`).
		CommitWindowSet { gpu_class: GpuClassId, blocks: Option<u32> },
		/// Governance replaced the verifier set.
		VerifiersSet { count: u32 },
		/// A verifier anchored a new beacon hash chain.
		BeaconAnchored { verifier: VerifierId },
		/// A verifier revealed its value in a beacon round.
		BeaconRevealed { round: u32, verifier: VerifierId },
		/// A beacon round closed with `output` from `revealed` verifiers; `fallback`: none
		/// revealed, so the output is the parent block's randomness, which its author could
		/// choose.
		BeaconClosed {
			round: u32,
			purpose: BeaconPurpose,
			output: Hash32,
			revealed: u32,
			fallback: bool,
		},
		/// A challenged machine attested its GPUs' confidential-computing reports: `evidence`
		/// is the blake2-256 hash of the evidence file its worker keeps, whose reports sign
		/// the challenge's nonce (docs/attestation.md, "Where the hardware offers it").
		GpuEvidenceAttested { challenge: ChallengeId, machine: MachineId, evidence: Hash32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No machine with this id.
		UnknownMachine,
		/// The signature is not the machine's worker key's (or the verifier's) over this call.
		BadSignature,
		/// The heartbeat is for another window than the current one.
		WrongWindow,
		/// The machine already sent its heartbeat in this window.
		HeartbeatTooEarly,
		/// The machine is neither listed nor leased: there is nothing to watch.
		NotServing,
		/// `MaxTrackedMachines` machines are tracked already.
		TooManyMachines,
		/// No open challenge with this id.
		UnknownChallenge,
		/// The challenge was committed already.
		AlreadyCommitted,
		/// The commit deadline passed.
		CommitTooLate,
		/// The challenge is not committed, or was revealed already.
		NotCommitted,
		/// The rows are drawn at the challenge's `draw_at`, after the epoch's last commit
		/// deadline: reveal from then.
		RevealTooEarly,
		/// The reveal deadline passed.
		RevealTooLate,
		/// The revealed row indices are not the drawn ones.
		WrongRows,
		/// A revealed row does not match the committed root.
		RevealMismatch,
		/// The challenge's rows are not revealed yet.
		NotRevealed,
		/// The key is not in the verifier set.
		NotVerifier,
		/// This verifier already gave its verdict.
		AlreadyVoted,
		/// No lease with this id.
		UnknownLease,
		/// The lease is closed.
		LeaseClosed,
		/// The worker attested this already.
		AlreadyAttested,
		/// The lease's start was not attested.
		StartNotAttested,
		/// The lease is still running: its end can be attested once it closed or reached its
		/// end block.
		LeaseNotEnded,
		/// No block near the lease's start-attestation deadline has room for its check; try a
		/// little later.
		StartChecksFull,
		/// Too many abandoned leases wait for their report; rents resume as they are reported.
		AbandonsBacklogged,
		/// The lease's start check found it unattested: it is being abandoned.
		StartDeadlinePassed,
		/// Only the lease's renter may dispute it.
		NotRenter,
		/// The lease was disputed already.
		AlreadyDisputed,
		/// The dispute window closed.
		DisputeWindowClosed,
		/// No unresolved dispute on this lease.
		NoDispute,
		/// A renter cannot report this kind: the chain finds failed challenges itself.
		NotReportable,
		/// The challenge's rows or rounds are zero or above `MAX_CHALLENGE_ROWS` or
		/// `MAX_CHALLENGE_ROUNDS`.
		InvalidChallengeSize,
		/// A verifier key appears twice.
		DuplicateVerifier,
		/// A counter overflowed.
		Overflow,
		/// The commit window is below `MIN_COMMIT_WINDOW` (2 blocks), or leaves no room for the
		/// reveal window and the verdicts within the challenge period.
		InvalidCommitWindow,
		/// A beacon anchor during a round's reveals or less than 2 blocks before them.
		BeaconRoundOpen,
		/// A beacon anchor signed for another round than the one in progress (a replay).
		StaleBeaconAnchor,
		/// A beacon reveal outside its round's reveal blocks.
		BeaconRoundClosed,
		/// A beacon reveal for another round than the one in progress.
		StaleBeaconReveal,
		/// The verifier has no beacon anchor.
		NoBeaconAnchor,
		/// The revealed value does not hash to the verifier's anchor.
		BeaconRevealMismatch,
		/// The verifier already revealed in this round.
		BeaconAlreadyRevealed,
		/// GPU evidence comes by the challenge's commit deadline.
		GpuEvidenceTooLate,
		/// The challenge's GPU evidence was attested already.
		GpuEvidenceAlreadyAttested,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Checks machines against the last finished heartbeat window (at most
		/// `MaxChecksPerBlock`), checks the leases whose start attestation is due and abandons
		/// up to `MaxAbandonReportsPerBlock` unattested ones, and at each epoch start closes
		/// the last epoch's challenges and issues new ones.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let mut weight = Self::follow_interval(now);
			weight.saturating_accrue(Self::sweep_windows(now));
			weight.saturating_accrue(Self::check_lease_starts(now));
			weight.saturating_accrue(Self::report_abandons());
			weight.saturating_accrue(Self::draw_rows(now));
			if Self::is_epoch_start(now) {
				weight.saturating_accrue(Self::close_epoch(now));
				let (random, closing, round) = Self::close_beacon_round(now);
				weight.saturating_accrue(closing);
				let draw_over =
					round.filter(|r| r.purpose == BeaconPurpose::Issue).map(|r| r.tracked);
				weight.saturating_accrue(Self::issue_challenges(now, random, draw_over));
			}
			weight.saturating_accrue(Self::report_challenge_faults());
			weight
		}

		/// Validators take part in the beacon, recompute revealed rows and submit signed
		/// verdicts.
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::beacon_duty(now);
			Self::verify_revealed_challenges(now);
		}

		fn integrity_test() {
			let interval: u64 = T::HeartbeatInterval::get().saturated_into();
			assert!(interval > 0, "heartbeat windows need a length");
			assert!(T::MaxOfflineReportsPerBlock::get() > 0, "offline machines must be reported");
			assert!(T::SpecMismatchHeartbeats::get() > 0, "a mismatch needs a heartbeat");
			assert!(
				interval.saturating_mul(T::MaxChecksPerBlock::get() as u64)
					>= T::MaxTrackedMachines::get() as u64,
				"the sweep must check every tracked machine within one window"
			);
			let rows = T::RevealedRowsPerChallenge::get();
			assert!(rows > 0 && rows <= MAX_REVEALED_ROWS, "rows to reveal out of range");
			assert!(
				T::MaxChallengesPerEpoch::get()
					>= T::ChallengesPerEpoch::get().saturating_sub(1)
						+ T::MaxMachinesPerProvider::get(),
				"the last fleet drawn must fit in the epoch's challenges"
			);
			assert!(T::DefaultChallengeSize::get().is_valid(), "default size out of range");
			let period: u64 = T::ChallengePeriod::get().saturated_into();
			let commit: u64 = T::CommitWindow::get().saturated_into();
			let reveal: u64 = T::RevealWindow::get().saturated_into();
			assert!(commit > 0 && reveal > 1, "workers need time to commit and reveal");
			assert!(
				commit
					+ u64::from(ROW_DRAW_BLOCKS)
					+ reveal + u64::from(challenges::VERDICT_BLOCKS)
					<= period,
				"the row draw, the reveals and the verdicts fit in the epoch"
			);
			let hashes: u64 = <T as frame_system::Config>::BlockHashCount::get().saturated_into();
			assert!(commit + reveal < hashes, "the commit block's hash must still be known");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// A machine is up in heartbeat window `window` (the current block ÷
		/// `HeartbeatInterval`). Free; the pool takes one per machine and window.
		///
		/// - `origin`: none (an unsigned transaction); authorised by `signature`, the
		///   machine's worker key over `WorkerStatement::Heartbeat`.
		/// - `telemetry`: per-GPU readings, driver version and the samples' Merkle root.
		#[pallet::call_index(0)]
		pub fn heartbeat(
			origin: OriginFor<T>,
			machine: MachineId,
			window: u32,
			telemetry: Telemetry,
			signature: sr25519::Signature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_heartbeat(machine, window, telemetry, &signature)
		}

		/// Commit the Merkle root of the hashes of the challenge's final rows, by `commit_by`.
		///
		/// - `origin`: none; `signature` by the challenged machine's worker key.
		#[pallet::call_index(1)]
		pub fn commit_challenge(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			root: Hash32,
			signature: sr25519::Signature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_commit_challenge(challenge, root, &signature)
		}

		/// Reveal the drawn rows with their Merkle proofs, from `draw_at` until `reveal_by`.
		///
		/// - `origin`: none; `signature` by the challenged machine's worker key.
		/// - `rows`: exactly the drawn indices, ascending.
		#[pallet::call_index(2)]
		pub fn reveal_challenge(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			rows: RevealedRows,
			signature: sr25519::Signature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_reveal_challenge(challenge, rows, &signature)
		}

		/// A verifier's verdict on revealed rows; a quorum of equal verdicts decides.
		///
		/// - `origin`: none; sent by a validator's offchain worker, `signature` by `verifier`.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::submit_verdict(T::MaxVerifiers::get())
			.saturating_add(T::Faults::fault_weight()))]
		pub fn submit_verdict(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			verifier: VerifierId,
			passed: bool,
			signature: VerifierSignature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_submit_verdict(challenge, verifier, passed, &signature)
		}

		/// The worker delivered an open lease at `endpoint`.
		///
		/// - `origin`: none; `signature` by the lease machine's worker key.
		#[pallet::call_index(4)]
		pub fn attest_lease_start(
			origin: OriginFor<T>,
			lease: LeaseId,
			endpoint: Endpoint,
			signature: sr25519::Signature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_attest_lease_start(lease, endpoint, &signature)
		}

		/// The worker removed a lease's workspace; `digest` summarises what ran. Only once the
		/// lease closed or reached its end, so the dispute window cannot start early.
		///
		/// - `origin`: none; `signature` by the lease machine's worker key.
		#[pallet::call_index(5)]
		pub fn attest_lease_end(
			origin: OriginFor<T>,
			lease: LeaseId,
			digest: Hash32,
			signature: sr25519::Signature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_attest_lease_end(lease, digest, &signature)
		}

		/// Dispute a lease: while it runs, or within `DisputeWindow` after it ends, with
		/// `DisputeDeposit` held from the caller's free balance until governance answers (back
		/// if upheld, to the treasury if rejected).
		///
		/// - `origin`: signed by the lease's renter.
		/// - `reason`: at most `MaxDisputeReasonLen` bytes, for governance to read.
		#[pallet::call_index(6)]
		pub fn dispute(
			origin: OriginFor<T>,
			lease: LeaseId,
			reason: DisputeReasonOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute(who, lease, reason)
		}

		/// Report a fault on the caller's lease, with `DisputeDeposit` held from its free
		/// balance. `Offline` is upheld at once when the chain saw the machine miss a heartbeat
		/// window under a lease; any other report waits for governance (`resolve_dispute`).
		/// Upheld: the deposit comes back and the fault is reported with the caller as its
		/// reporter (its `ReporterShare` of the slash, besides what the fault gives every renter).
		/// Rejected: the deposit goes to the treasury. One report or dispute per lease, while it
		/// runs or within `DisputeWindow` after it ends.
		///
		/// - `origin`: signed by the lease's renter.
		/// - `kind`: `Offline`, `SpecMismatch` or `LeaseAbandoned`.
		/// - `evidence`: at most `MaxDisputeReasonLen` bytes, for governance to read.
		#[pallet::call_index(10)]
		#[pallet::weight(<T as Config>::WeightInfo::report_fault()
			.saturating_add(T::Faults::fault_weight()))]
		pub fn report_fault(
			origin: OriginFor<T>,
			lease: LeaseId,
			kind: FaultKind,
			evidence: DisputeReasonOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_fault(who, lease, kind, evidence)
		}

		/// Resolve a dispute or a renter's fault report. An upheld dispute refunds the renter
		/// (an open lease closes with its whole escrow back) and slashes the provider's bond
		/// (`Disputed`), compensating what the lease paid; an upheld fault report is reported
		/// as its kind. Rejected: nothing changes but the record (and a fault report's deposit
		/// goes to the treasury).
		///
		/// - `origin`: `GovernanceOrigin`.
		#[pallet::call_index(7)]
		#[pallet::weight(<T as Config>::WeightInfo::resolve_dispute()
			.saturating_add(T::Faults::fault_weight()))]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			lease: LeaseId,
			upheld: bool,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_resolve_dispute(lease, upheld)
		}

		/// Set the size of a GPU class's challenges, chosen from the class's published integer
		/// throughput with its commit window (docs/attestation.md). Challenges already issued
		/// keep theirs.
		///
		/// - `origin`: `GovernanceOrigin`.
		/// - `size.rows`: 1 to `MAX_CHALLENGE_ROWS` (2²⁴); `size.rounds`: 1 to
		///   `MAX_CHALLENGE_ROUNDS` (1,024), which bounds what a verifier spends per row.
		#[pallet::call_index(8)]
		pub fn set_challenge_size(
			origin: OriginFor<T>,
			gpu_class: GpuClassId,
			size: ChallengeSize,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_challenge_size(gpu_class, size)
		}

		/// Set how many blocks after issue a GPU class's challenges must be committed by:
		/// chosen with the class's size from its published integer throughput
		/// (docs/attestation.md). Challenges already issued keep their deadlines.
		///
		/// - `origin`: `GovernanceOrigin`.
		/// - `blocks`: at least 2, and the reveal window and the verifiers' blocks must still
		///   fit in the challenge period after it; `None` goes back to `CommitWindow`.
		#[pallet::call_index(11)]
		pub fn set_commit_window(
			origin: OriginFor<T>,
			gpu_class: GpuClassId,
			blocks: Option<u32>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_commit_window(gpu_class, blocks)
		}

		/// Replace the verifier set: the validators' `gpux` keys.
		///
		/// - `origin`: `GovernanceOrigin`.
		#[pallet::call_index(9)]
		// The set it replaces (up to `MaxVerifiers`, each with an anchor removed) is charged.
		#[pallet::weight(<T as Config>::WeightInfo::set_verifiers(T::MaxVerifiers::get()))]
		pub fn set_verifiers(
			origin: OriginFor<T>,
			verifiers: BoundedVec<VerifierId, T::MaxVerifiers>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_verifiers(verifiers)
		}

		/// Anchor the verifier's beacon hash chain: `anchor` is the last of `x`, `H(x)`, …,
		/// `Hⁿ(x)` for a secret `x`; each round it reveals the value before the last one
		/// revealed. `round`: the round in progress (`currentBeacon`, 0 before any), and at
		/// least `ANCHOR_LEAD_BLOCKS` (2) before its reveals open.
		///
		/// - `origin`: none; sent by a validator's offchain worker, `signature` by `verifier`.
		#[pallet::call_index(12)]
		pub fn anchor_beacon(
			origin: OriginFor<T>,
			verifier: VerifierId,
			round: u32,
			anchor: Hash32,
			signature: VerifierSignature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_anchor_beacon(verifier, round, anchor, &signature)
		}

		/// Reveal the verifier's next beacon value in round `round`: it must hash to the
		/// verifier's anchor (its last reveal), so it was fixed before the round.
		///
		/// - `origin`: none; sent by a validator's offchain worker, `signature` by `verifier`.
		#[pallet::call_index(13)]
		#[pallet::weight(<T as Config>::WeightInfo::reveal_beacon(T::MaxVerifiers::get()))]
		pub fn reveal_beacon(
			origin: OriginFor<T>,
			verifier: VerifierId,
			round: u32,
			value: Hash32,
			signature: VerifierSignature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_reveal_beacon(verifier, round, value, &signature)
		}

		/// Attest the hash of the evidence file holding the GPUs' confidential-computing
		/// attestation reports, fetched with the challenge's nonce (`cc_nonce` of its seed), by
		/// its commit deadline. Optional: only GPUs in confidential-computing mode have them.
		///
		/// - `origin`: none; `signature` by the challenged machine's worker key.
		#[pallet::call_index(14)]
		pub fn attest_gpu_evidence(
			origin: OriginFor<T>,
			challenge: ChallengeId,
			evidence: Hash32,
			signature: sr25519::Signature,
		) -> DispatchResult {
			ensure_none(origin)?;
			Self::do_attest_gpu_evidence(challenge, evidence, &signature)
		}
	}

	// Workers and verifiers send unsigned transactions signed by their own keys, which hold
	// no funds. `#[pallet::authorize]` would replace this, but it needs v5 general
	// transactions, which neither polkadot.js nor subxt can send yet (docs/deviations.md).
	#[allow(deprecated)]
	#[pallet::validate_unsigned]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			Self::validate_unsigned_call(call)
		}

		/// The checks of the pool again, in the block: a block author cannot fill a block with
		/// unsigned calls that would fail (and pay nothing). The calls' benchmarks run this
		/// too, so their weights count the second signature check.
		fn pre_dispatch(call: &Self::Call) -> Result<(), TransactionValidityError> {
			Self::validate_unsigned_call(call).map(|_| ())
		}
	}
}

/// The validators' `gpux` key joins the session keys through this.
impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
	type Public = gpux_primitives::VerifierId;
}

impl<T: Config> Pallet<T> {
	/// What browsing shows of `machine`'s health: the driver version in its last heartbeat
	/// (`None` if never heard from) and the share of its checked windows it met (`None`
	/// before any was checked, or when it is not watched).
	pub fn machine_health(
		machine: gpux_primitives::MachineId,
	) -> (Option<alloc::vec::Vec<u8>>, Option<sp_runtime::Permill>) {
		let Some(record) = Heartbeats::<T>::get(machine) else { return (None, None) };
		let driver = record.received_at.map(|_| record.telemetry.driver_version.into_inner());
		let uptime = (record.windows_checked > 0).then(|| {
			sp_runtime::Permill::from_rational(record.windows_met, record.windows_checked)
		});
		(driver, uptime)
	}

	/// The chain's genesis hash: part of every signed message, so signatures do not replay
	/// across chains.
	pub(crate) fn genesis_hash() -> [u8; 32] {
		gpux_primitives::attestation::hash32(frame_system::Pallet::<T>::block_hash(
			frame_system::pallet_prelude::BlockNumberFor::<T>::default(),
		))
	}
}
