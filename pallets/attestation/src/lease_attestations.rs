//! Lease attestations by the worker (start: endpoint delivered; end: digest of what ran) and
//! renters' disputes, which governance resolves.

use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	attestation::{Endpoint, WorkerStatement},
	challenge::Hash32,
	AttestedMachine, LeaseDisputes, LeaseFacts, LeaseId, MachineKeys,
};
use sp_core::sr25519;
use sp_runtime::traits::Saturating;

use crate::{
	weights::WeightInfo, DisputeHolds, FaultClaims, Heartbeats, PendingAbandons, StartCheckBlocks,
	StartChecks, Sweep, UndecidedDisputes, LOG_TARGET,
};
use gpux_primitives::{
	storage::{first_block_with_room, remove_from_list},
	Balance, FaultKind, FaultReporter, LeaseWatch, MachineId, RenterDeposits,
};
use sp_runtime::DispatchError;

/// The staking pallet keeps a provider's bond while a dispute of its leases is undecided.
impl<T: Config> gpux_primitives::DisputeRegistry<T::AccountId> for Pallet<T> {
	fn undecided_disputes(provider: &T::AccountId) -> u32 {
		UndecidedDisputes::<T>::get(provider)
	}
}

/// The leases pallet has each new lease's start checked here, and says when a lease closes
/// and when it is pruned.
impl<T: Config> LeaseWatch<BlockNumberFor<T>> for Pallet<T> {
	fn expect_start(lease: LeaseId, starts_at: BlockNumberFor<T>) -> DispatchResult {
		Self::do_expect_start(lease, starts_at)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn fill_start_checks_for_benchmark(starts_at: BlockNumberFor<T>) {
		let mut block = starts_at.saturating_add(T::StartAttestationDeadline::get());
		let mut full = BoundedVec::<LeaseId, T::MaxStartChecksPerBlock>::default();
		for i in 0..T::MaxStartChecksPerBlock::get() {
			let _ = full.try_push(LeaseId::MAX - u64::from(i));
		}
		for _ in 0..T::MaxStartCheckDelay::get() {
			StartChecks::<T>::insert(block, full.clone());
			block = block.saturating_add(sp_runtime::traits::One::one());
		}
	}

	fn lease_closed(lease: LeaseId, machine: MachineId, ended_at: BlockNumberFor<T>) {
		if let Some(block) = StartCheckBlocks::<T>::take(lease) {
			StartChecks::<T>::mutate_exists(block, |due| remove_from_list(due, &lease));
		}
		// A dispute is taken until `DisputeWindow` after the lease's end (`open_dispute`),
		// which for a lease closed early lies ahead.
		let until = frame_system::Pallet::<T>::block_number()
			.max(ended_at)
			.saturating_add(T::DisputeWindow::get());
		DisputeHolds::<T>::mutate(machine, |hold| hold.until = hold.until.max(until));
	}

	fn forget(lease: LeaseId) -> bool {
		let record = LeaseAttestations::<T>::get(lease);
		if record.as_ref().and_then(|r| r.dispute.as_ref()).is_some_and(|d| d.resolution.is_none())
		{
			return false;
		}
		if record.is_some() {
			LeaseAttestations::<T>::remove(lease);
		}
		true
	}
}

use crate::{
	unsigned::Checks, Config, Dispute, DisputeReasonOf, Error, Event, LeaseAttestation,
	LeaseAttestationOf, LeaseAttestations, Pallet,
};

/// A lease of the runtime, as the leases pallet describes it.
type LeaseFactsOf<T> = LeaseFacts<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

impl<T: Config> Pallet<T> {
	/// What was attested of `lease` on `machine` so far; nothing yet if there is no record.
	fn attestation_of(
		lease: LeaseId,
		machine: gpux_primitives::MachineId,
	) -> LeaseAttestationOf<T> {
		LeaseAttestations::<T>::get(lease).unwrap_or(LeaseAttestation {
			machine,
			started: None,
			ended: None,
			dispute: None,
		})
	}

	/// The lease, its machine, and what was attested so far, if `signature` is the machine's
	/// worker key over `statement`.
	fn attested_lease(
		lease: LeaseId,
		statement: &WorkerStatement,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<(LeaseFactsOf<T>, AttestedMachine<T::AccountId>, LeaseAttestationOf<T>), Error<T>>
	{
		let facts = T::Leases::lease_facts(lease).ok_or(Error::<T>::UnknownLease)?;
		let info =
			T::Machines::attested_machine(facts.machine).ok_or(Error::<T>::UnknownMachine)?;
		Self::worker_signed(&info, statement, signature, checks)?;
		let record = Self::attestation_of(lease, facts.machine);
		Ok((facts, info, record))
	}

	/// Every check a start attestation must pass.
	pub(crate) fn check_lease_start(
		lease: LeaseId,
		endpoint: &Endpoint,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<LeaseAttestationOf<T>, Error<T>> {
		let statement = WorkerStatement::LeaseStarted { lease, endpoint: endpoint.clone() };
		let (facts, _, record) = Self::attested_lease(lease, &statement, signature, checks)?;
		ensure!(facts.open, Error::<T>::LeaseClosed);
		ensure!(record.started.is_none(), Error::<T>::AlreadyAttested);
		ensure!(!PendingAbandons::<T>::contains_key(lease), Error::<T>::StartDeadlinePassed);
		Ok(record)
	}

	pub(crate) fn do_attest_lease_start(
		lease: LeaseId,
		endpoint: Endpoint,
		signature: &sr25519::Signature,
	) -> DispatchResult {
		let mut record = Self::check_lease_start(lease, &endpoint, signature, Checks::State)?;
		let now = frame_system::Pallet::<T>::block_number();
		record.started = Some((endpoint.clone(), now));
		let machine = record.machine;
		LeaseAttestations::<T>::insert(lease, record);
		Self::deposit_event(Event::LeaseStartAttested { lease, machine, endpoint });
		Ok(())
	}

	/// Every check an end attestation must pass.
	pub(crate) fn check_lease_end(
		lease: LeaseId,
		digest: &Hash32,
		signature: &sr25519::Signature,
		checks: Checks,
	) -> Result<LeaseAttestationOf<T>, Error<T>> {
		let statement = WorkerStatement::LeaseEnded { lease, digest: *digest };
		let (facts, _, record) = Self::attested_lease(lease, &statement, signature, checks)?;
		ensure!(record.started.is_some(), Error::<T>::StartNotAttested);
		// An early end would start the renter's dispute window early.
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(!facts.open || now >= facts.ends_at, Error::<T>::LeaseNotEnded);
		ensure!(record.ended.is_none(), Error::<T>::AlreadyAttested);
		Ok(record)
	}

	pub(crate) fn do_attest_lease_end(
		lease: LeaseId,
		digest: Hash32,
		signature: &sr25519::Signature,
	) -> DispatchResult {
		let mut record = Self::check_lease_end(lease, &digest, signature, Checks::State)?;
		let now = frame_system::Pallet::<T>::block_number();
		record.ended = Some((digest, now));
		let machine = record.machine;
		LeaseAttestations::<T>::insert(lease, record);
		Self::deposit_event(Event::LeaseEndAttested { lease, machine, digest });
		Ok(())
	}

	/// Schedules the check of `lease`'s start attestation at its deadline, or as soon after
	/// as a block has room.
	pub(crate) fn do_expect_start(lease: LeaseId, starts_at: BlockNumberFor<T>) -> DispatchResult {
		ensure!(
			PendingAbandons::<T>::count() < T::MaxPendingAbandons::get(),
			Error::<T>::AbandonsBacklogged
		);
		let deadline = starts_at.saturating_add(T::StartAttestationDeadline::get());
		Self::schedule_start_check(lease, deadline)
			.map(|_| ())
			.ok_or_else(|| Error::<T>::StartChecksFull.into())
	}

	/// Puts `lease`'s start check in `block`, or the first block after with room, at most
	/// `MaxStartCheckDelay` later. Returns that block.
	fn schedule_start_check(lease: LeaseId, block: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		let at = first_block_with_room(block, T::MaxStartCheckDelay::get(), |block| {
			StartChecks::<T>::try_mutate(block, |due| due.try_push(lease)).is_ok()
		})?;
		StartCheckBlocks::<T>::insert(lease, at);
		Some(at)
	}

	/// Checks the leases due for a start check now: one still open and unattested is put in
	/// `PendingAbandons`. Only reads and queues, so a block's checks stay cheap however many
	/// workers failed.
	pub(crate) fn check_lease_starts(now: BlockNumberFor<T>) -> Weight {
		let due = StartChecks::<T>::take(now);
		for lease in due.iter().copied() {
			StartCheckBlocks::<T>::remove(lease);
			let Some(facts) = T::Leases::lease_facts(lease) else { continue };
			let started = LeaseAttestations::<T>::get(lease).is_some_and(|a| a.started.is_some());
			if facts.open && !started {
				PendingAbandons::<T>::insert(lease, ());
			}
		}
		T::WeightInfo::check_lease_starts(due.len() as u32)
	}

	/// Abandons up to `MaxAbandonReportsPerBlock` leases from `PendingAbandons`: each is closed
	/// with its whole escrow refunded and its machine reported. One closed meanwhile (by its
	/// renter, its end or a preemption) is reported all the same, for what it paid; one a fault
	/// closed was compensated by that fault.
	pub(crate) fn report_abandons() -> Weight {
		let max = T::MaxAbandonReportsPerBlock::get();
		let leases: Vec<LeaseId> = PendingAbandons::<T>::iter_keys().take(max as usize).collect();
		for lease in leases.iter().copied() {
			PendingAbandons::<T>::remove(lease);
			let Some(facts) = T::Leases::lease_facts(lease) else { continue };
			let Some((refunded, loss)) = T::Leases::abandon(lease) else { continue };
			Self::deposit_event(Event::LeaseAbandoned { lease, machine: facts.machine, refunded });
			// The fault closes the machine's other leases too: a machine that did not deliver
			// one lease is not trusted with the rest. The slash compensates what this lease
			// had paid.
			if let Err(e) = T::Faults::report_lease_fault(
				facts.machine,
				FaultKind::LeaseAbandoned,
				None,
				facts.renter,
				loss,
			) {
				log::warn!(
					target: LOG_TARGET,
					"machine {}: lease {lease} abandoned, fault not reported: {e:?}",
					facts.machine
				);
			}
		}
		let n = leases.len() as u32;
		// The benchmark's machines hold one lease each; a report may close up to a machine's
		// whole set, which `fault_weight` covers.
		T::WeightInfo::report_abandons(n)
			.saturating_add(T::Faults::fault_weight().saturating_mul(n.into()))
	}

	pub(crate) fn do_dispute(
		renter: T::AccountId,
		lease: LeaseId,
		reason: DisputeReasonOf<T>,
	) -> DispatchResult {
		let (_, deposit) = Self::open_dispute(renter.clone(), lease, reason.clone())?;
		Self::deposit_event(Event::LeaseDisputed { lease, renter, reason, deposit });
		Ok(())
	}

	pub(crate) fn do_report_fault(
		renter: T::AccountId,
		lease: LeaseId,
		kind: FaultKind,
		evidence: DisputeReasonOf<T>,
	) -> DispatchResult {
		ensure!(kind != FaultKind::FailedChallenge, Error::<T>::NotReportable);
		let (facts, deposit) = Self::open_dispute(renter.clone(), lease, evidence)?;
		Self::deposit_event(Event::FaultClaimed { lease, renter: renter.clone(), kind, deposit });
		// The chain checks what it can: a machine that missed windows in a row, every one of
		// them begun under this lease (not another renter's, not before this one started).
		let under_this_lease = Heartbeats::<T>::get(facts.machine).is_some_and(|record| {
			let now = Self::window_of(frame_system::Pallet::<T>::block_number());
			let last_checked = Sweep::<T>::get().last_checked(now, record.slot);
			let first_missed =
				last_checked.saturating_add(1).saturating_sub(record.missed_in_a_row);
			record.missed_in_a_row > 0
				// Windows before the last interval change have no exact start: governance decides.
				&& first_missed >= Self::windows().window
				&& Self::windows().start_of(first_missed) >= facts.starts_at
		});
		if kind == FaultKind::Offline && facts.open && under_this_lease {
			Self::decide_claim(lease, facts.machine, &renter, kind, deposit, true)?;
			Self::dispute_decided(facts.machine, &facts.provider);
			LeaseAttestations::<T>::mutate(lease, |record| {
				if let Some(dispute) = record.as_mut().and_then(|r| r.dispute.as_mut()) {
					dispute.resolution = Some(true);
				}
			});
		} else {
			FaultClaims::<T>::insert(lease, (kind, deposit));
		}
		Ok(())
	}

	/// Returns the deposit and reports the fault with the renter as reporter, or forfeits
	/// the deposit.
	fn decide_claim(
		lease: LeaseId,
		machine: gpux_primitives::MachineId,
		renter: &T::AccountId,
		kind: FaultKind,
		deposit: Balance,
		upheld: bool,
	) -> DispatchResult {
		if upheld {
			T::Faults::report_fault(machine, kind, Some(renter.clone()))?;
			T::Deposits::release_deposit(renter, deposit);
		} else {
			T::Deposits::forfeit_deposit(renter, deposit);
		}
		Self::deposit_event(Event::FaultClaimDecided { lease, kind, upheld });
		Ok(())
	}

	/// Records the renter's dispute of `lease` (one per lease, within the window) and holds
	/// its deposit. Returns the lease's facts and the deposit.
	fn open_dispute(
		renter: T::AccountId,
		lease: LeaseId,
		reason: DisputeReasonOf<T>,
	) -> Result<(LeaseFactsOf<T>, Balance), DispatchError> {
		let facts = T::Leases::lease_facts(lease).ok_or(Error::<T>::UnknownLease)?;
		ensure!(facts.renter == renter, Error::<T>::NotRenter);
		// Its fault must find the machine. The marketplace keeps a machine whose leases may
		// be disputed (`is_disputable`), so this only refuses a lease of a departed machine.
		ensure!(T::Machines::attested_machine(facts.machine).is_some(), Error::<T>::UnknownMachine);
		let mut record = Self::attestation_of(lease, facts.machine);
		ensure!(record.dispute.is_none(), Error::<T>::AlreadyDisputed);
		let now = frame_system::Pallet::<T>::block_number();
		// The window runs from the earlier of the lease's end and its end attestation.
		let ended = record.ended.as_ref().map_or(facts.ends_at, |(_, at)| (*at).min(facts.ends_at));
		ensure!(
			facts.open || now <= ended.saturating_add(T::DisputeWindow::get()),
			Error::<T>::DisputeWindowClosed
		);
		let deposit = T::DisputeDeposit::get();
		T::Deposits::hold_deposit(&renter, deposit)?;
		record.dispute = Some(Dispute { reason, raised_at: now, resolution: None, deposit });
		LeaseAttestations::<T>::insert(lease, record);
		DisputeHolds::<T>::mutate(facts.machine, |hold| {
			hold.undecided = hold.undecided.saturating_add(1)
		});
		UndecidedDisputes::<T>::mutate(&facts.provider, |count| *count = count.saturating_add(1));
		Ok((facts, deposit))
	}

	/// One dispute of `machine`'s (and `provider`'s) leases fewer is undecided.
	fn dispute_decided(machine: MachineId, provider: &T::AccountId) {
		DisputeHolds::<T>::mutate(machine, |hold| {
			hold.undecided = hold.undecided.saturating_sub(1)
		});
		UndecidedDisputes::<T>::mutate_exists(provider, |count| {
			*count = count.map(|c| c.saturating_sub(1)).filter(|c| *c > 0);
		});
	}

	/// Whether `machine` must stay: a lease of it may still be disputed, or a dispute or fault
	/// report of one is undecided.
	pub(crate) fn is_disputable(machine: MachineId) -> bool {
		let hold = DisputeHolds::<T>::get(machine);
		hold.undecided > 0 || frame_system::Pallet::<T>::block_number() <= hold.until
	}

	pub(crate) fn do_resolve_dispute(lease: LeaseId, upheld: bool) -> DispatchResult {
		let mut record = LeaseAttestations::<T>::get(lease).ok_or(Error::<T>::NoDispute)?;
		let dispute = record.dispute.as_mut().ok_or(Error::<T>::NoDispute)?;
		ensure!(dispute.resolution.is_none(), Error::<T>::NoDispute);
		dispute.resolution = Some(upheld);
		let deposit = dispute.deposit;
		// A lease with a dispute undecided is never pruned.
		let facts = T::Leases::lease_facts(lease).ok_or(Error::<T>::UnknownLease)?;
		Self::dispute_decided(record.machine, &facts.provider);
		if let Some((kind, deposit)) = FaultClaims::<T>::take(lease) {
			Self::decide_claim(lease, record.machine, &facts.renter, kind, deposit, upheld)?;
			LeaseAttestations::<T>::insert(lease, record);
			return Ok(());
		}
		if upheld {
			T::Deposits::release_deposit(&facts.renter, deposit);
		} else {
			T::Deposits::forfeit_deposit(&facts.renter, deposit);
		}
		let refunded = if upheld {
			let (refunded, loss) = T::Leases::refund_disputed(lease)?;
			// The provider pays through its bond, like for any fault: a `Disputed` slash that
			// compensates the renter's loss and names it the reporter.
			T::Faults::report_lease_fault(
				record.machine,
				FaultKind::Disputed,
				Some(facts.renter.clone()),
				facts.renter,
				loss,
			)?;
			refunded
		} else {
			0
		};
		LeaseAttestations::<T>::insert(lease, record);
		Self::deposit_event(Event::DisputeResolved { lease, upheld, refunded });
		Ok(())
	}
}
