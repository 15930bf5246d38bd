//! Proof-of-GPU challenges: issue at each epoch start, commit, reveal against drawn rows,
//! verifiers' verdicts and the quorum, and closing the epoch's leftovers.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	attestation::{drawn_rows, verdict_message, RevealedRows, WorkerStatement},
	challenge::Hash32,
	ChallengeId, FaultKind, FaultReporter, GpuClassId, MachineKeys, ReputationFeed, VerifierId,
	VerifierSignature,
};
use sp_core::sr25519;
use sp_crypto_hashing::blake2_256;
use sp_runtime::{
	traits::{SaturatedConversion, Saturating, Zero},
	RuntimeAppPublic,
};

use crate::{
	unsigned::Checks, weights::WeightInfo, ChallengeOutcome, ChallengeRecord, ChallengeRecordOf,
	ChallengeSizes, ChallengeState, Challenges, Config, EpochEndsAt, Error, Event, NextChallengeId,
	OpenChallenges, Pallet, RevealedRowsOf, RowValues, TrackedMachineCount, TrackedMachines,
	Verdicts, Verifiers, LOG_TARGET,
};

impl<T: Config> Pallet<T> {
	/// Whether `machine` has a challenge that is not decided yet.
	pub(crate) fn has_open_challenge(machine: gpux_primitives::MachineId) -> bool {
		OpenChallenges::<T>::get()
			.iter()
			.any(|id| Challenges::<T>::get(id).is_some_and(|c| c.machine == machine))
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

	/// The matrix side of a GPU class's challenges.
	pub fn challenge_size(class: GpuClassId) -> u32 {
		ChallengeSizes::<T>::get(class).unwrap_or_else(T::DefaultChallengeSize::get)
	}

	/// Matching verdicts needed to decide: `VerdictQuorum` of the verifiers, rounded up, at
	/// least one.
	pub fn quorum() -> u32 {
		let verifiers = Verifiers::<T>::decode_len().unwrap_or_default() as u32;
		T::VerdictQuorum::get().mul_ceil(verifiers).max(1)
	}

	/// Challenges up to `MaxChallengesPerEpoch` distinct tracked machines picked at random.
	pub(crate) fn issue_challenges(now: BlockNumberFor<T>) -> Weight {
		let tracked = TrackedMachineCount::<T>::get();
		let wanted = T::MaxChallengesPerEpoch::get().min(tracked);
		if wanted == 0 {
			return T::WeightInfo::issue_challenges(0);
		}
		let (random, _) = T::Randomness::random(b"gpux/challenge");
		let random = blake2_256(random.as_ref());
		let mut picked: Vec<u64> = Vec::with_capacity(wanted as usize);
		// Bounded tries: with few machines the draw may repeat; fewer challenges is fine.
		for attempt in 0..wanted.saturating_mul(4) {
			if picked.len() == wanted as usize {
				break;
			}
			let h = blake2_256(&(random, attempt).encode());
			let slot = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % tracked;
			if let Some(machine) = TrackedMachines::<T>::get(slot) {
				if !picked.contains(&machine) {
					picked.push(machine);
				}
			}
		}
		let commit_by = now.saturating_add(T::CommitWindow::get());
		let reveal_by = commit_by.saturating_add(T::RevealWindow::get());
		let ends_at = now.saturating_add(T::ChallengePeriod::get());
		EpochEndsAt::<T>::put(ends_at);
		let decide_by = ends_at.saturating_sub(1u32.into());
		let mut open = OpenChallenges::<T>::get();
		for machine in &picked {
			let Some(info) = T::Machines::attested_machine(*machine) else { continue };
			let id = NextChallengeId::<T>::get();
			let seed = blake2_256(&(random, b"seed", *machine).encode());
			let size = Self::challenge_size(info.gpu_class);
			let record = ChallengeRecord {
				machine: *machine,
				provider: info.provider,
				seed,
				size,
				rows: T::RevealedRowsPerChallenge::get().min(size),
				issued_at: now,
				commit_by,
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
			NextChallengeId::<T>::put(id.saturating_add(1));
			Self::deposit_event(Event::ChallengeIssued {
				challenge: id,
				machine: *machine,
				seed,
				size,
				commit_by,
				reveal_by,
			});
		}
		OpenChallenges::<T>::put(open);
		T::WeightInfo::issue_challenges(picked.len() as u32)
	}

	/// Ends the previous epoch's undecided challenges: a missing commitment or reveal is the
	/// machine's fault; revealed rows without a quorum blame nobody.
	pub(crate) fn close_epoch(_now: BlockNumberFor<T>) -> Weight {
		let open = OpenChallenges::<T>::take();
		let count = open.len() as u32;
		let mut reports = 0u32;
		for id in open {
			let Some(record) = Challenges::<T>::get(id) else { continue };
			let outcome = match record.state {
				ChallengeState::AwaitingCommit => ChallengeOutcome::MissedCommit,
				ChallengeState::Committed { .. } => ChallengeOutcome::MissedReveal,
				ChallengeState::Revealed { .. } => ChallengeOutcome::Undecided,
			};
			reports = reports.saturating_add(u32::from(outcome.is_fault()));
			Self::decide(id, record, outcome);
		}
		T::WeightInfo::close_epoch(count)
			.saturating_add(T::Faults::fault_weight().saturating_mul(reports.into()))
	}

	/// Records the outcome: reputation learns it, a fault is reported, the challenge's
	/// storage is cleared. The caller takes it out of `OpenChallenges`.
	fn decide(id: ChallengeId, record: ChallengeRecordOf<T>, outcome: ChallengeOutcome) {
		if outcome != ChallengeOutcome::Undecided {
			T::Reputation::challenge_decided(
				record.machine,
				&record.provider,
				outcome == ChallengeOutcome::Passed,
			);
		}
		if outcome.is_fault() {
			if let Err(e) =
				T::Faults::report_fault(record.machine, FaultKind::FailedChallenge, None)
			{
				log::warn!(target: LOG_TARGET, "challenge {id}: fault not reported: {e:?}");
			}
		}
		Challenges::<T>::remove(id);
		RevealedRowsOf::<T>::remove(id);
		let _ = Verdicts::<T>::clear_prefix(id, T::MaxVerifiers::get(), None);
		Self::deposit_event(Event::ChallengeDecided {
			challenge: id,
			machine: record.machine,
			outcome,
		});
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

	/// The rows a committed challenge must reveal: drawn from its seed and the hash of the
	/// block that included the commitment. `None` before that block's hash is known.
	pub fn rows_to_reveal(record: &ChallengeRecordOf<T>) -> Option<Vec<u32>> {
		let ChallengeState::Committed { at, .. } = record.state else { return None };
		if frame_system::Pallet::<T>::block_number() <= at {
			return None;
		}
		let hash = frame_system::Pallet::<T>::block_hash(at);
		Some(drawn_rows(&record.seed, hash.as_ref(), record.size, record.rows))
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
			ensure!(rows.iter().all(|r| r.proves(&root, record.size)), Error::<T>::RevealMismatch);
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
		Self::decide(challenge, record, outcome);
		Ok(())
	}

	pub(crate) fn do_set_challenge_size(gpu_class: GpuClassId, size: u32) -> DispatchResult {
		ensure!(size > 0 && size <= T::MaxChallengeSize::get(), Error::<T>::InvalidChallengeSize);
		ChallengeSizes::<T>::insert(gpu_class, size);
		Self::deposit_event(Event::ChallengeSizeSet { gpu_class, size });
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
		Verifiers::<T>::put(verifiers);
		Self::deposit_event(Event::VerifiersSet { count });
		Ok(())
	}
}
