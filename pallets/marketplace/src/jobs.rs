//! Jobs: a reverse auction. A submitter posts what it needs; providers bid during a window;
//! at its close the best reputation-adjusted bid's lease starts; the worker's result is then
//! accepted (paying the provider), disputed (governance decides), or accepted by silence.

use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
		Get,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	is_valid_cid, reputation_adjusted_price,
	storage::{first_block_with_room, remove_from_list},
	AccessSpec, Balance, Cid, JobLeases, LeaseId, MachineId, RenterDeposits, ReputationScores,
};
use sp_runtime::{traits::Saturating, DispatchError};

use crate::{
	Bid, Config, Error, Event, GpuClasses, HoldReason, JobBids, JobId, JobRecord, JobRecordOf,
	JobSchedule, JobStatus, Jobs, Machines, NextJobId, OrderTermsOf, Pallet,
};

/// Blocks after its due block a job's scheduled step may move when that block is full.
const MAX_SCHEDULE_DELAY: u32 = 10;

/// What one block's job processing did, for its weight.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub struct JobWork {
	/// Jobs looked at.
	pub jobs: u32,
	/// Bids ranked and released.
	pub bids: u32,
	/// Leases tried for winning bids.
	pub attempts: u32,
	/// Held payouts released or refunded.
	pub payouts: u32,
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_post_job(
		submitter: T::AccountId,
		terms: OrderTermsOf<T>,
		bid_window: BlockNumberFor<T>,
		priority: bool,
		input_cid: Cid,
		access: AccessSpec,
	) -> Result<JobId, DispatchError> {
		ensure!(is_valid_cid(&input_cid), Error::<T>::InvalidCid);
		Self::ensure_valid_access(&access)?;
		ensure!(
			bid_window >= T::MinBidWindow::get() && bid_window <= T::MaxBidWindow::get(),
			Error::<T>::BidWindowOutOfBounds
		);
		Self::ensure_valid_order_terms(&terms)?;
		ensure!(terms.duration <= T::MaxJobDuration::get(), Error::<T>::JobTooLong);
		let job = NextJobId::<T>::get();
		NextJobId::<T>::put(job.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let closes_at = frame_system::Pallet::<T>::block_number().saturating_add(bid_window);
		let closes_at = Self::schedule_job(job, closes_at)?;
		let deposit = T::JobDeposit::get();
		T::Deposits::hold_deposit(&submitter, deposit)
			.map_err(|_| Error::<T>::DepositExceedsBalance)?;
		let fee = if priority { T::PriorityFee::get() } else { 0 };
		if fee > 0 {
			T::Currency::transfer(&submitter, &T::Treasury::get(), fee, Preservation::Preserve)
				.map_err(|_| Error::<T>::FeeExceedsBalance)?;
		}
		Self::deposit_event(Event::JobPosted {
			job,
			submitter: submitter.clone(),
			closes_at,
			priority,
			fee,
			input_cid: input_cid.clone(),
		});
		Jobs::<T>::insert(
			job,
			JobRecord {
				submitter,
				terms,
				input_cid,
				access,
				priority,
				closes_at,
				deposit,
				status: JobStatus::Bidding,
			},
		);
		Ok(job)
	}

	/// Puts `job` in the schedule at `at` or the first block after with room. Returns the block.
	fn schedule_job(job: JobId, at: BlockNumberFor<T>) -> Result<BlockNumberFor<T>, DispatchError> {
		first_block_with_room(at, MAX_SCHEDULE_DELAY, |block| {
			JobSchedule::<T>::try_mutate(block, |due| due.try_push(job)).is_ok()
		})
		.ok_or_else(|| Error::<T>::JobScheduleFull.into())
	}

	fn unschedule_job(job: JobId, at: BlockNumberFor<T>) {
		JobSchedule::<T>::mutate_exists(at, |due| remove_from_list(due, &job));
	}

	/// A job open for bids now.
	fn biddable(job: JobId) -> Result<JobRecordOf<T>, DispatchError> {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
		ensure!(
			record.status == JobStatus::Bidding
				&& frame_system::Pallet::<T>::block_number() < record.closes_at,
			Error::<T>::BiddingClosed
		);
		Ok(record)
	}

	pub(crate) fn do_bid(
		bidder: T::AccountId,
		job: JobId,
		machine: MachineId,
		price: Balance,
	) -> DispatchResult {
		let record = Self::biddable(job)?;
		let found = Machines::<T>::get(machine).ok_or(Error::<T>::UnknownMachine)?;
		ensure!(found.provider == bidder, Error::<T>::NotOwner);
		let listing = found.listing.as_ref().ok_or(Error::<T>::NotListed)?;
		let class =
			GpuClasses::<T>::get(found.spec.gpu_class).ok_or(Error::<T>::UnknownGpuClass)?;
		let needs = &record.terms.requirements;
		let score = T::Reputation::machine_score(machine);
		ensure!(
			needs.gpu_class.is_none_or(|c| c == found.spec.gpu_class)
				&& class.vram_gib >= needs.min_vram_gib
				&& Self::unmet_requirement(needs, &found, listing, score).is_none()
				&& found.spec.gpu_count >= record.terms.gpus,
			Error::<T>::MachineUnfit
		);
		ensure!(price > 0, Error::<T>::InvalidOrder);
		ensure!(price <= record.terms.max_price_per_gpu_hour, Error::<T>::BidAboveMax);
		ensure!(price <= class.mfp(T::MfpBand::get()), Error::<T>::PriceAboveMfp);
		// A bid whose lease could never open would only push honest bids out of the award.
		T::Leases::check_job_lease(machine, record.terms.gpus, record.terms.duration, price)?;
		JobBids::<T>::try_mutate(job, |bids| -> DispatchResult {
			ensure!(bids.iter().all(|b| b.machine != machine), Error::<T>::AlreadyBid);
			let deposit = T::BidDeposit::get();
			let bid = Bid { machine, bidder: bidder.clone(), price_per_gpu_hour: price, deposit };
			bids.try_push(bid).map_err(|_| Error::<T>::TooManyBids)?;
			T::Currency::hold(&HoldReason::BidDeposit.into(), &bidder, deposit)
				.map_err(|_| Error::<T>::DepositExceedsBalance.into())
		})?;
		Self::deposit_event(Event::BidPlaced { job, machine, bidder, price_per_gpu_hour: price });
		Ok(())
	}

	pub(crate) fn do_cancel_bid(
		bidder: T::AccountId,
		job: JobId,
		machine: MachineId,
	) -> DispatchResult {
		Self::biddable(job)?;
		let bid = JobBids::<T>::try_mutate(job, |bids| {
			let at =
				bids.iter().position(|b| b.machine == machine).ok_or(Error::<T>::UnknownBid)?;
			ensure!(bids[at].bidder == bidder, Error::<T>::NotBidder);
			Ok::<_, DispatchError>(bids.remove(at))
		})?;
		Self::release_bid_deposit(&bid);
		Self::deposit_event(Event::BidCancelled { job, machine });
		Ok(())
	}

	fn release_bid_deposit(bid: &Bid<T::AccountId>) {
		let reason = HoldReason::BidDeposit.into();
		let _ = T::Currency::release(&reason, &bid.bidder, bid.deposit, Precision::BestEffort);
	}

	pub(crate) fn do_submit_result(
		provider: T::AccountId,
		job: JobId,
		output_cid: Cid,
		output_hash: [u8; 32],
	) -> DispatchResult {
		ensure!(is_valid_cid(&output_cid), Error::<T>::InvalidCid);
		let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
		let JobStatus::Running { lease, machine, .. } = record.status else {
			return Err(Error::<T>::NotRunning.into());
		};
		let owner = Machines::<T>::get(machine).map(|m| m.provider);
		ensure!(owner.as_ref() == Some(&provider), Error::<T>::NotOwner);
		ensure!(T::Leases::is_closed(lease) == Some(true), Error::<T>::LeaseNotEnded);
		let now = frame_system::Pallet::<T>::block_number();
		let accept_by = Self::schedule_job(job, now.saturating_add(T::JobDisputeWindow::get()))?;
		if let JobStatus::Running { result_by, .. } = record.status {
			Self::unschedule_job(job, result_by);
		}
		record.status = JobStatus::ResultAttested {
			lease,
			machine,
			output_cid: output_cid.clone(),
			output_hash,
			accept_by,
		};
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::ResultSubmitted { job, output_cid, output_hash, accept_by });
		Ok(())
	}

	/// The job's result, if `who` submitted it and it awaits acceptance.
	fn attested(
		who: &T::AccountId,
		job: JobId,
	) -> Result<(JobRecordOf<T>, LeaseId, MachineId, BlockNumberFor<T>), DispatchError> {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
		ensure!(&record.submitter == who, Error::<T>::NotJobSubmitter);
		let JobStatus::ResultAttested { lease, machine, accept_by, .. } = record.status else {
			return Err(Error::<T>::NoResult.into());
		};
		Ok((record, lease, machine, accept_by))
	}

	pub(crate) fn do_accept_result(submitter: T::AccountId, job: JobId) -> DispatchResult {
		let (record, lease, _, accept_by) = Self::attested(&submitter, job)?;
		Self::unschedule_job(job, accept_by);
		Self::finish_accepted(job, &record, lease);
		Ok(())
	}

	/// Pays the provider what the job's lease held, returns the submitter's deposit, and ends
	/// the job.
	fn finish_accepted(job: JobId, record: &JobRecordOf<T>, lease: LeaseId) {
		let to_provider = T::Leases::release_payout(lease);
		T::Deposits::release_deposit(&record.submitter, record.deposit);
		Jobs::<T>::remove(job);
		Self::deposit_event(Event::ResultAccepted { job, to_provider });
	}

	pub(crate) fn do_dispute_result(submitter: T::AccountId, job: JobId) -> DispatchResult {
		let (mut record, lease, machine, accept_by) = Self::attested(&submitter, job)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < accept_by, Error::<T>::DisputeWindowClosed);
		Self::unschedule_job(job, accept_by);
		record.status = JobStatus::Disputed { lease, machine };
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::ResultDisputed { job });
		Ok(())
	}

	pub(crate) fn do_resolve_job(job: JobId, upheld: bool) -> DispatchResult {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
		let JobStatus::Disputed { lease, .. } = record.status else {
			return Err(Error::<T>::NotDisputed.into());
		};
		let amount = if upheld {
			T::Deposits::release_deposit(&record.submitter, record.deposit);
			T::Leases::refund_payout(lease)
		} else {
			// A rejected dispute costs the submitter its deposit.
			T::Deposits::forfeit_deposit(&record.submitter, record.deposit);
			T::Leases::release_payout(lease)
		};
		Jobs::<T>::remove(job);
		Self::deposit_event(Event::JobResolved { job, upheld, amount });
		Ok(())
	}

	/// The jobs scheduled for `now`, priority jobs first: windows close, results fall due,
	/// acceptance windows end. A stale entry (a job moved on or gone) is skipped.
	pub(crate) fn process_jobs(now: BlockNumberFor<T>) -> JobWork {
		let mut work = JobWork::default();
		let mut due: Vec<(bool, JobId)> = JobSchedule::<T>::take(now)
			.into_iter()
			.filter_map(|job| Jobs::<T>::get(job).map(|record| (!record.priority, job)))
			.collect();
		due.sort();
		due.dedup();
		for (_, job) in due {
			work.jobs.saturating_inc();
			// Read again: an earlier step in this block may have moved it on.
			let Some(record) = Jobs::<T>::get(job) else { continue };
			match record.status {
				JobStatus::Bidding if now >= record.closes_at => {
					Self::close_bidding(job, record, now, &mut work)
				},
				JobStatus::Running { lease, result_by, .. } if now >= result_by => {
					Self::result_due(job, record, lease, now, &mut work)
				},
				JobStatus::ResultAttested { lease, accept_by, .. } if now >= accept_by => {
					work.payouts.saturating_inc();
					Self::finish_accepted(job, &record, lease);
				},
				_ => {},
			}
		}
		work
	}

	/// Starts the lease of the best bid (lowest reputation-adjusted price, then the earlier
	/// bid) whose lease opens, trying at most `MaxAwardAttempts`; a bid the submitter cannot
	/// pay for is passed over, and one whose lease fails to open forfeits its deposit to the
	/// treasury. The other bids' deposits come back. Without a winner the job expires, its
	/// deposit returned.
	fn close_bidding(
		job: JobId,
		mut record: JobRecordOf<T>,
		now: BlockNumberFor<T>,
		work: &mut JobWork,
	) {
		let bids = JobBids::<T>::take(job);
		let mut ranked: Vec<(Balance, usize)> = bids
			.iter()
			.enumerate()
			.map(|(at, bid)| {
				let score = T::Reputation::machine_score(bid.machine);
				(reputation_adjusted_price(bid.price_per_gpu_hour, score), at)
			})
			.collect();
		ranked.sort();
		work.bids = work.bids.saturating_add(bids.len() as u32);
		let (gpus, duration) = (record.terms.gpus, record.terms.duration);
		let spendable = T::Currency::reducible_balance(
			&record.submitter,
			Preservation::Preserve,
			Fortitude::Polite,
		);
		let mut forfeited: Vec<usize> = Vec::new();
		let mut award = None;
		let mut attempts = 0u32;
		for (_, at) in ranked {
			if attempts >= T::MaxAwardAttempts::get() {
				break;
			}
			let Some(bid) = bids.get(at) else { continue };
			let price = bid.price_per_gpu_hour;
			// No fault of the bidder's: the submitter cannot pay this bid's lease.
			if T::Leases::job_lease_cost(gpus, duration, price).is_none_or(|cost| cost > spendable)
			{
				continue;
			}
			let result_by = now.saturating_add(duration).saturating_add(T::ResultWindow::get());
			let Ok(result_by) = Self::schedule_job(job, result_by) else { break };
			attempts.saturating_inc();
			work.attempts.saturating_inc();
			let access = record.access.clone();
			let submitter = &record.submitter;
			match T::Leases::open_job_lease(submitter, bid.machine, gpus, duration, price, access) {
				Ok(lease) => {
					award = Some((lease, bid.machine, price, result_by));
					break;
				},
				Err(error) => {
					Self::unschedule_job(job, result_by);
					forfeited.push(at);
					let forfeit = Self::forfeit_bid_deposit(bid);
					Self::deposit_event(Event::BidRefused {
						job,
						machine: bid.machine,
						error,
						forfeited: forfeit,
					});
				},
			}
		}
		for (at, bid) in bids.iter().enumerate() {
			if !forfeited.contains(&at) {
				Self::release_bid_deposit(bid);
			}
		}
		match award {
			Some((lease, machine, price, result_by)) => {
				record.status = JobStatus::Running { lease, machine, result_by };
				Jobs::<T>::insert(job, record);
				Self::deposit_event(Event::JobAwarded {
					job,
					lease,
					machine,
					price_per_gpu_hour: price,
				});
			},
			None => {
				let deposit = T::Deposits::release_deposit(&record.submitter, record.deposit);
				Jobs::<T>::remove(job);
				Self::deposit_event(Event::JobExpired { job, deposit });
			},
		}
	}

	/// Moves a bid's deposit to the treasury: its lease failed to open for the bidder's
	/// reasons (the machine busy, unlisted or unbacked). Returns what was taken.
	fn forfeit_bid_deposit(bid: &Bid<T::AccountId>) -> Balance {
		T::Currency::transfer_on_hold(
			&HoldReason::BidDeposit.into(),
			&bid.bidder,
			&T::Treasury::get(),
			bid.deposit,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_default()
	}

	/// The job's result was due: a lease still open is looked at again a `ResultWindow` later;
	/// otherwise, with no result attested, what the lease held goes back to the submitter.
	fn result_due(
		job: JobId,
		mut record: JobRecordOf<T>,
		lease: LeaseId,
		now: BlockNumberFor<T>,
		work: &mut JobWork,
	) {
		if T::Leases::is_closed(lease) == Some(false) {
			// Never end a job whose lease still pays into its hold: look again later (a
			// schedule full for several windows leaves it for the provider's result).
			let JobStatus::Running { machine, .. } = record.status else { return };
			let mut later = now;
			for _ in 0..4 {
				later = later.saturating_add(T::ResultWindow::get());
				if let Ok(result_by) = Self::schedule_job(job, later) {
					record.status = JobStatus::Running { lease, machine, result_by };
					Jobs::<T>::insert(job, record);
					return;
				}
			}
			return;
		}
		work.payouts.saturating_inc();
		let refunded = T::Leases::refund_payout(lease);
		T::Deposits::release_deposit(&record.submitter, record.deposit);
		Jobs::<T>::remove(job);
		Self::deposit_event(Event::JobFailed { job, refunded });
	}

	/// What `process_jobs` cost for `work`.
	pub(crate) fn job_work_weight(work: JobWork) -> frame_support::weights::Weight {
		use crate::WeightInfo;
		T::WeightInfo::process_jobs(work.jobs, work.bids)
			.saturating_add(T::Leases::open_job_lease_weight().saturating_mul(work.attempts.into()))
			.saturating_add(T::Leases::payout_weight().saturating_mul(work.payouts.into()))
	}
}
