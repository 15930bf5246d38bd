//! Proof-of-GPU challenges: issue at each epoch start, commit, reveal against drawn rows,
//! verifiers' verdicts and the quorum, and closing the epoch's leftovers.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	attestation::{drawn_rows, verdict_message, ChallengeSize, RevealedRows, WorkerStatement},
	challenge::Hash32,
	ChallengeId, FaultKind, FaultReporter, GpuClassId, MachineId, MachineKeys, ReputationFeed,
	VerifierId, VerifierSignature,
};
use sp_core::sr25519;
use sp_crypto_hashing::blake2_256;
use sp_runtime::{
	traits::{One, SaturatedConversion, Saturating, Zero},
	RuntimeAppPublic,
};

use crate::{
	beacon::{BEACON_REVEAL_BLOCKS, ROW_DRAW_BLOCKS},
	unsigned::Checks,
	weights::WeightInfo,
	BeaconAnchors, BeaconPurpose, ChallengeOf, ChallengeOutcome, ChallengeRecord,
	ChallengeRecordOf, ChallengeSizes, ChallengeState, Challenges, CommitWindows, Config,
	EpochEndsAt, Error, Event, GpuEvidenceHashes, Heartbeats, NextChallengeId, OpenChallenges,
	Pallet, PendingChallengeFaults, RevealedRowsOf, RowDraw, RowValues, TrackedMachineCount,
	TrackedMachines, Verdicts, Verifiers, LOG_TARGET,
};

/// The shortest commit window governance may give a class: the block after the issue, and
/// one more for a commitment that just missed a block's inclusion.
pub const MIN_COMMIT_WINDOW: u32 = 2;

/// Blocks the verifiers have after the reveal deadline, before the epoch closes, to recompute
/// the rows and land their verdicts.
pub const VERDICT_BLOCKS: u32 = 5;

/// The machines an epoch start challenges, gathered a provider's fleet at a time.
#[derive(frame_support::DefaultNoBound)]
struct FleetDraw<T: Config> {
	/// Providers whose fleets are in.
	providers: Vec<T::AccountId>,
	/// Their serving (tracked) machines.
	machines: Vec<MachineId>,
	/// Registered machines looked at, serving or not: what the draw's weight grows with.
	read: u32,
}

impl<T: Config> FleetDraw<T> {
	/// Takes in every serving machine of `provider`. Fleets are added only while fewer than
	/// `ChallengesPerEpoch` machines are in, and `MaxChallengesPerEpoch` leaves room for the
	/// largest fleet after that (`integrity_test`), so a fleet always fits whole.
	fn add_fleet(&mut self, provider: T::AccountId) {
		let fleet = T::Machines::machines_of(&provider);
		self.read = self.read.saturating_add(fleet.len().saturated_into());
		self.machines.extend(fleet.into_iter().filter(|m| Heartbeats::<T>::contains_key(m)));
		self.providers.push(provider);
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `machine` has a challenge that is not decided yet.
	pub(crate) fn has_open_challenge(machine: MachineId) -> bool {
		ChallengeOf::<T>::contains_key(machine)
	}

	/// Whether `now` starts a challenge epoch (block 0 does not): a multiple of the period, and
	/// not before the last epoch's end, so a period changed by governance never cuts short the
	/// deadlines of challenges already issued.
	pub(crate) fn is_epoch_start(now: BlockNumberFor<T>) -> bool {
		let period = T::ChallengePeriod::get();
		!now.is_zero()
			&& !period.is_zero()
			&& (now % period).is_zero()
			&& now >= EpochEndsAt::<T>::get()
	}

	/// The size (rows and rounds) of a GPU class's challenges.
	pub fn challenge_size(class: GpuClassId) -> ChallengeSize {
		ChallengeSizes::<T>::get(class).unwrap_or_else(T::DefaultChallengeSize::get)
	}

	/// Matching verdicts needed to decide: `VerdictQuorum` of the verifiers, rounded up, at
	/// least one.
	pub fn quorum() -> u32 {
		let verifiers = Verifiers::<T>::decode_len().unwrap_or_default() as u32;
		T::VerdictQuorum::get().mul_ceil(verifiers).max(1)
	}

	/// Blocks after issue within which a GPU class's challenges must be committed: its own
	/// window or `CommitWindow`, cut (if the period or reveal window changed since it was
	/// set) so that the row draw ([`ROW_DRAW_BLOCKS`]), the reveal window and
	/// [`VERDICT_BLOCKS`] still fit in the epoch.
	pub fn commit_window(class: GpuClassId) -> BlockNumberFor<T> {
		let window = CommitWindows::<T>::get(class)
			.map_or_else(T::CommitWindow::get, BlockNumberFor::<T>::from);
		window.min(Self::longest_commit_window()).max(One::one())
	}

	/// The longest commit window the current period, reveal window and block hash count allow.
	fn longest_commit_window() -> BlockNumberFor<T> {
		let reveal = T::RevealWindow::get();
		let in_epoch = T::ChallengePeriod::get()
			.saturating_sub(reveal)
			.saturating_sub(VERDICT_BLOCKS.into())
			.saturating_sub(ROW_DRAW_BLOCKS.into());
		let hashes = <T as frame_system::Config>::BlockHashCount::get()
			.saturating_sub(reveal)
			.saturating_sub(One::one());
		in_epoch.min(hashes)
	}

	/// Challenges every serving machine of randomly drawn providers in this one block, so that
	/// one GPU cannot answer for several machines: providers are drawn (each through a random
	/// tracked machine) until `ChallengesPerEpoch` machines are in. A fleet is never split:
	/// the last one drawn may take the epoch past `ChallengesPerEpoch`, never past
	/// `MaxChallengesPerEpoch`.
	///
	/// `random` is the beacon's output (`draw_over`: the machines tracked when its round
	/// opened). Seeds also take the parent block's randomness, so they are unknown before the
	/// block before the issue. The rows round opens after the epoch's last commit deadline,
	/// and the rows every challenge reveals are drawn when it closes.
	pub(crate) fn issue_challenges(
		now: BlockNumberFor<T>,
		random: Hash32,
		draw_over: Option<u32>,
	) -> Weight {
		// The draw reads the slots tracked when the beacon round opened, at most.
		let tracked = TrackedMachineCount::<T>::get();
		let tracked = draw_over.map_or(tracked, |snapshot| snapshot.min(tracked));
		let target = T::ChallengesPerEpoch::get().min(tracked);
		let mut draw = FleetDraw::<T>::default();
		let mut attempts = 0u32;
		// Bounded tries: with few providers the draw repeats; fewer challenges is fine. Every
		// fleet read counts, so reading stops past `MaxChallengesPerEpoch` machines.
		while attempts < target.saturating_mul(4)
			&& draw.machines.len() < target as usize
			&& draw.read < T::MaxChallengesPerEpoch::get()
		{
			let h = blake2_256(&(random, attempts).encode());
			attempts = attempts.saturating_add(1);
			let slot = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % tracked;
			let Some(info) =
				TrackedMachines::<T>::get(slot).and_then(T::Machines::attested_machine)
			else {
				continue;
			};
			if !draw.providers.contains(&info.provider) {
				draw.add_fleet(info.provider);
			}
		}
		let ends_at = now.saturating_add(T::ChallengePeriod::get());
		EpochEndsAt::<T>::put(ends_at);
		let decide_by = ends_at.saturating_sub(One::one());
		let issued: Vec<_> = draw
			.machines
			.iter()
			.filter_map(|machine| {
				let info = T::Machines::attested_machine(*machine)?;
				let commit_by = now.saturating_add(Self::commit_window(info.gpu_class));
				Some((*machine, info, commit_by))
			})
			.collect();
		// Rows are drawn once every commitment of the epoch is in (or too late).
		let last_commit = issued
			.iter()
			.map(|(.., commit_by)| *commit_by)
			.max()
			.unwrap_or_else(|| now.saturating_add(T::CommitWindow::get()));
		let draw_at = last_commit.saturating_add(ROW_DRAW_BLOCKS.into());
		Self::open_beacon_round(
			BeaconPurpose::Rows,
			now,
			draw_at.saturating_sub(BEACON_REVEAL_BLOCKS.into()),
			draw_at,
		);
		let reveal_by = draw_at.saturating_add(T::RevealWindow::get());
		let (parent, _) = T::Randomness::random(b"gpux/seed");
		let seeds = blake2_256(&(random, parent).encode());
		let mut open = OpenChallenges::<T>::get();
		for (machine, info, commit_by) in issued {
			let id = NextChallengeId::<T>::get();
			let seed = blake2_256(&(seeds, b"seed", machine).encode());
			let size = Self::challenge_size(info.gpu_class);
			let record = ChallengeRecord {
				machine,
				provider: info.provider,
				seed,
				size,
				rows: T::RevealedRowsPerChallenge::get().min(size.rows),
				issued_at: now,
				commit_by,
				draw_at,
				reveal_by,
				decide_by,
				state: ChallengeState::AwaitingCommit,
				passes: 0,
				fails: 0,
			};
			if open.try_push(id).is_err() {
				break;
			}
			Challenges::<T>::insert(id, record);
			ChallengeOf::<T>::insert(machine, id);
			NextChallengeId::<T>::put(id.saturating_add(1));
			Self::deposit_event(Event::ChallengeIssued {
				challenge: id,
				machine,
				seed,
				size,
				commit_by,
				reveal_by,
			});
		}
		OpenChallenges::<T>::put(open);
		// The benchmark draws one fleet of one class; draws that find a provider already in,
		// and each further class's size and window, are two reads each on top.
		let extra = attempts.saturating_add(draw.machines.len().saturated_into());
		T::WeightInfo::issue_challenges(draw.read)
			.saturating_add(T::DbWeight::get().reads(2u64.saturating_mul(extra.into())))
	}

	/// Ends the previous epoch's undecided challenges: a missing commitment or reveal is the
	/// machine's fault; revealed rows without a quorum blame nobody. Faults wait in
	/// `PendingChallengeFaults` for `report_challenge_faults`: an epoch may hold hundreds.
	pub(crate) fn close_epoch(_now: BlockNumberFor<T>) -> Weight {
		let open = OpenChallenges::<T>::take();
		let count = open.len() as u32;
		for id in open {
			let Some(record) = Challenges::<T>::get(id) else { continue };
			let outcome = match record.state {
				ChallengeState::AwaitingCommit => ChallengeOutcome::MissedCommit,
				ChallengeState::Committed { .. } => ChallengeOutcome::MissedReveal,
				ChallengeState::Revealed { .. } => ChallengeOutcome::Undecided,
			};
			let machine = record.machine;
			if Self::decide(id, record, outcome) {
				PendingChallengeFaults::<T>::insert(machine, ());
			}
		}
		T::WeightInfo::close_epoch(count)
	}

	/// Reports up to `MaxOfflineReportsPerBlock` of the faults closed epochs left.
	pub(crate) fn report_challenge_faults() -> Weight {
		let max = T::MaxOfflineReportsPerBlock::get() as usize;
		let machines: Vec<MachineId> = PendingChallengeFaults::<T>::iter_keys().take(max).collect();
		for machine in machines.iter().copied() {
			PendingChallengeFaults::<T>::remove(machine);
			Self::report_failed_challenge(machine);
		}
		let n = machines.len() as u32;
		T::WeightInfo::report_challenge_faults(n)
			.saturating_add(T::Faults::fault_weight().saturating_mul(n.into()))
	}

	fn report_failed_challenge(machine: MachineId) {
		if let Err(e) = T::Faults::report_fault(machine, FaultKind::FailedChallenge, None) {
			log::warn!(target: LOG_TARGET, "machine {machine}: challenge fault not reported: {e:?}");
		}
	}

	/// Records the outcome: reputation learns it, a pass is held against the machine's GPUs,
	/// the challenge's storage is cleared. Returns whether the machine is at fault, for the
	/// caller to report. The caller takes it out of `OpenChallenges`.
	fn decide(id: ChallengeId, record: ChallengeRecordOf<T>, outcome: ChallengeOutcome) -> bool {
		if outcome != ChallengeOutcome::Undecided {
			T::Reputation::challenge_decided(
				record.machine,
				&record.provider,
				outcome == ChallengeOutcome::Passed,
			);
		}
		if outcome == ChallengeOutcome::Passed {
			Self::check_gpus_behind_pass(id, &record);
		}
		Challenges::<T>::remove(id);
		ChallengeOf::<T>::remove(record.machine);
		RevealedRowsOf::<T>::remove(id);
		GpuEvidenceHashes::<T>::remove(id);
		let _ = Verdicts::<T>::clear_prefix(id, T::MaxVerifiers::get(), None);
		Self::deposit_event(Event::ChallengeDecided {
			challenge: id,
			machine: record.machine,
			outcome,
		});
		outcome.is_fault()
	}

	/// A pass proves a GPU answered, not that the machine has all it registered: one still
	/// serving whose heartbeat since the challenge was issued shows fewer usable GPUs is
	/// reported for a spec mismatch at once. (A machine a fault already took off the market is
	/// not serving: nothing is reported twice.)
	fn check_gpus_behind_pass(id: ChallengeId, record: &ChallengeRecordOf<T>) {
		let machine = record.machine;
		let Some(info) = T::Machines::attested_machine(machine) else { return };
		if !Self::serves(machine, &info) {
			return;
		}
		let Some(beat) = Heartbeats::<T>::get(machine)
			.filter(|r| r.received_at.is_some_and(|at| at >= record.issued_at))
		else {
			return;
		};
		let reported = beat.telemetry.usable_gpus();
		if reported >= info.gpu_count {
			return;
		}
		match T::Faults::report_fault(machine, FaultKind::SpecMismatch, None) {
			Ok(()) => Self::deposit_event(Event::ChallengedGpusMissing {
				challenge: id,
				machine,
				registered: info.gpu_count,
				reported,
			}),
			Err(e) => {
				log::warn!(target: LOG_TARGET, "challenge {id}: mismatch not reported: {e:?}")
			},
		}
	}

	/// Whether `signature` is the challenged machine's worker key over `statement`.
	fn signed_by_machine(
		record: &ChallengeRecordOf<T>,
		statement: &WorkerStatement,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<(), Error<T>> {
		let info =
			T::Machines::attested_machine(record.machine).ok_or(Error::<T>::UnknownMachine)?;
		Self::worker_signed(&info, statement, signature, checks)
	}

	/// Every check a commitment must pass.
	pub(crate) fn check_commit(
		challenge: ChallengeId,
		root: &Hash32,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<ChallengeRecordOf<T>, Error<T>> {
		let record = Challenges::<T>::get(challenge).ok_or(Error::<T>::UnknownChallenge)?;
		ensure!(record.state == ChallengeState::AwaitingCommit, Error::<T>::AlreadyCommitted);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= record.commit_by, Error::<T>::CommitTooLate);
		let statement = WorkerStatement::ChallengeCommitted { challenge, root: *root };
		Self::signed_by_machine(&record, &statement, signature, checks)?;
		Ok(record)
	}

	pub(crate) fn do_commit_challenge(
		challenge: ChallengeId,
		root: Hash32,
		signature: &sr25519::Signature,
	) -> DispatchResult {
		let mut record = Self::check_commit(challenge, &root, signature, Checks::State)?;
		let now = frame_system::Pallet::<T>::block_number();
		record.state = ChallengeState::Committed { root, at: now };
		Challenges::<T>::insert(challenge, record);
		Self::deposit_event(Event::ChallengeCommitted { challenge, root });
		Ok(())
	}

	/// Every check GPU evidence must pass: an open challenge, by its commit deadline, once,
	/// signed by the challenged machine's worker key.
	pub(crate) fn check_gpu_evidence(
		challenge: ChallengeId,
		evidence: &Hash32,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<ChallengeRecordOf<T>, Error<T>> {
		let record = Challenges::<T>::get(challenge).ok_or(Error::<T>::UnknownChallenge)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= record.commit_by, Error::<T>::GpuEvidenceTooLate);
		ensure!(
			!GpuEvidenceHashes::<T>::contains_key(challenge),
			Error::<T>::GpuEvidenceAlreadyAttested
		);
		let statement = WorkerStatement::GpuEvidence { challenge, evidence: *evidence };
		Self::signed_by_machine(&record, &statement, signature, checks)?;
		Ok(record)
	}

	pub(crate) fn do_attest_gpu_evidence(
		challenge: ChallengeId,
		evidence: Hash32,
		signature: &sr25519::Signature,
	) -> DispatchResult {
		let record = Self::check_gpu_evidence(challenge, &evidence, signature, Checks::State)?;
		GpuEvidenceHashes::<T>::insert(challenge, evidence);
		Self::deposit_event(Event::GpuEvidenceAttested {
			challenge,
			machine: record.machine,
			evidence,
		});
		Ok(())
	}

	/// The rows a committed challenge must reveal: drawn from its seed and its epoch's row
	/// draw (the beacon's output after every commit deadline). `None` before the draw.
	pub fn rows_to_reveal(record: &ChallengeRecordOf<T>) -> Option<Vec<u32>> {
		let ChallengeState::Committed { .. } = record.state else { return None };
		let (_, draw) = RowDraw::<T>::get().filter(|(epoch, _)| *epoch == record.issued_at)?;
		Some(drawn_rows(&record.seed, &draw, record.size.rows, record.rows))
	}

	/// Every check a reveal must pass.
	pub(crate) fn check_reveal(
		challenge: ChallengeId,
		rows: &RevealedRows,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<(ChallengeRecordOf<T>, Hash32), Error<T>> {
		let record = Challenges::<T>::get(challenge).ok_or(Error::<T>::UnknownChallenge)?;
		let ChallengeState::Committed { root, .. } = record.state else {
			return Err(Error::<T>::NotCommitted);
		};
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= record.reveal_by, Error::<T>::RevealTooLate);
		let drawn = Self::rows_to_reveal(&record).ok_or(Error::<T>::RevealTooEarly)?;
		ensure!(rows.iter().map(|r| r.index).eq(drawn.iter().copied()), Error::<T>::WrongRows);
		if checks.signatures() {
			ensure!(
				rows.iter().all(|r| r.proves(&root, record.size.rows)),
				Error::<T>::RevealMismatch
			);
			let statement = WorkerStatement::revealed(challenge, rows);
			Self::signed_by_machine(&record, &statement, signature, checks)?;
		}
		Ok((record, root))
	}

	pub(crate) fn do_reveal_challenge(
		challenge: ChallengeId,
		rows: RevealedRows,
		signature: &sr25519::Signature,
	) -> DispatchResult {
		let (mut record, root) = Self::check_reveal(challenge, &rows, signature, Checks::State)?;
		let values: RowValues = rows
			.into_iter()
			.map(|r| (r.index, r.values))
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| Error::<T>::WrongRows)?;
		RevealedRowsOf::<T>::insert(challenge, values);
		record.state = ChallengeState::Revealed { root };
		Challenges::<T>::insert(challenge, record);
		Self::deposit_event(Event::ChallengeRevealed { challenge });
		Ok(())
	}

	/// Every check a verdict must pass.
	pub(crate) fn check_verdict(
		challenge: ChallengeId,
		verifier: &VerifierId,
		passed: bool,
		signature: &VerifierSignature,
		checks: Checks,
	) -> Result<ChallengeRecordOf<T>, Error<T>> {
		let record = Challenges::<T>::get(challenge).ok_or(Error::<T>::UnknownChallenge)?;
		ensure!(matches!(record.state, ChallengeState::Revealed { .. }), Error::<T>::NotRevealed);
		ensure!(Verifiers::<T>::get().contains(verifier), Error::<T>::NotVerifier);
		ensure!(!Verdicts::<T>::contains_key(challenge, verifier), Error::<T>::AlreadyVoted);
		if checks.signatures() {
			let message = verdict_message(&Self::genesis_hash(), challenge, passed);
			ensure!(verifier.verify(&message, signature), Error::<T>::BadSignature);
		}
		Ok(record)
	}

	pub(crate) fn do_submit_verdict(
		challenge: ChallengeId,
		verifier: VerifierId,
		passed: bool,
		signature: &VerifierSignature,
	) -> DispatchResult {
		let mut record =
			Self::check_verdict(challenge, &verifier, passed, signature, Checks::State)?;
		Verdicts::<T>::insert(challenge, &verifier, passed);
		if passed {
			record.passes = record.passes.saturating_add(1);
		} else {
			record.fails = record.fails.saturating_add(1);
		}
		Self::deposit_event(Event::VerdictSubmitted { challenge, verifier, passed });
		let quorum = Self::quorum();
		let outcome = if record.passes >= quorum {
			ChallengeOutcome::Passed
		} else if record.fails >= quorum {
			ChallengeOutcome::Failed
		} else {
			Challenges::<T>::insert(challenge, record);
			return Ok(());
		};
		// Decided before the epoch ends: no longer open. (`close_epoch` takes the whole list.)
		OpenChallenges::<T>::mutate(|open| open.retain(|c| *c != challenge));
		let machine = record.machine;
		if Self::decide(challenge, record, outcome) {
			Self::report_failed_challenge(machine);
		}
		Ok(())
	}

	pub(crate) fn do_set_challenge_size(
		gpu_class: GpuClassId,
		size: ChallengeSize,
	) -> DispatchResult {
		ensure!(size.is_valid(), Error::<T>::InvalidChallengeSize);
		ChallengeSizes::<T>::insert(gpu_class, size);
		Self::deposit_event(Event::ChallengeSizeSet { gpu_class, size });
		Ok(())
	}

	pub(crate) fn do_set_commit_window(
		gpu_class: GpuClassId,
		blocks: Option<u32>,
	) -> DispatchResult {
		if let Some(blocks) = blocks {
			ensure!(
				blocks >= MIN_COMMIT_WINDOW
					&& BlockNumberFor::<T>::from(blocks) <= Self::longest_commit_window(),
				Error::<T>::InvalidCommitWindow
			);
		}
		CommitWindows::<T>::set(gpu_class, blocks);
		Self::deposit_event(Event::CommitWindowSet { gpu_class, blocks });
		Ok(())
	}

	pub(crate) fn do_set_verifiers(
		verifiers: BoundedVec<VerifierId, T::MaxVerifiers>,
	) -> DispatchResult {
		let mut sorted = verifiers.to_vec();
		sorted.sort();
		sorted.dedup();
		ensure!(sorted.len() == verifiers.len(), Error::<T>::DuplicateVerifier);
		let count = verifiers.len().saturated_into();
		// Beacon anchors are kept for verifiers in the set only. A round in progress keeps its
		// reveals: a change timed after they are public must not pick among outputs.
		for gone in Verifiers::<T>::get().iter().filter(|v| !verifiers.contains(v)) {
			BeaconAnchors::<T>::remove(gone);
		}
		Verifiers::<T>::put(verifiers);
		Self::deposit_event(Event::VerifiersSet { count });
		Ok(())
	}
}
