//! What happens block by block: the close schedule and closing leases.

use alloc::vec::Vec;
use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	storage::{first_block_with_room, remove_from_list},
	Balance, LeaseId, LeaseRegistry, LeaseWatch, MachineId, MachineRegistry, ReputationFeed,
};
use sp_runtime::{
	traits::{One, Saturating},
	DispatchError,
};

use crate::{
	CloseReason, ClosedLeaseQueue, ClosedLeases, Closes, Config, Error, Event, LeaseRecordOf,
	LeaseStatus, Leases, LeasesOf, MachineLeases, Pallet, WeightInfo,
};

impl<T: Config> Pallet<T> {
	/// Schedules `lease` to close at `at`, or at the first later block with room, at most
	/// `MaxCloseDelay` blocks later; never at a block that has begun. Returns the block.
	pub(crate) fn schedule_close(
		lease: LeaseId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let next_block = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		first_block_with_room(at.max(next_block), T::MaxCloseDelay::get(), |block| {
			Closes::<T>::try_mutate(block, |due| due.try_push(lease)).is_ok()
		})
		.ok_or_else(|| Error::<T>::ScheduleFull.into())
	}

	/// Moves `lease`'s close from block `from` to `to` (or the next block with room there).
	/// If no block has room the lease keeps its slot at `from`: it is never left unscheduled,
	/// also for callers outside a storage layer.
	pub(crate) fn reschedule_close(
		lease: LeaseId,
		from: BlockNumberFor<T>,
		to: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		Self::unschedule_close(lease, from);
		Self::schedule_close(lease, to).inspect_err(|_| {
			// The slot was just freed, so it has room again.
			Closes::<T>::mutate(from, |due| {
				let _ = due.try_push(lease);
			});
		})
	}

	/// Takes `lease` off the schedule of block `at`.
	pub(crate) fn unschedule_close(lease: LeaseId, at: BlockNumberFor<T>) {
		Closes::<T>::mutate_exists(at, |due| remove_from_list(due, &lease));
	}

	/// Closes the leases scheduled for `now`; there are at most `MaxClosesPerBlock`.
	pub(crate) fn close_due(now: BlockNumberFor<T>) -> Weight {
		let due = Closes::<T>::take(now);
		let count = due.len() as u32;
		for id in due {
			let Some(lease) = Leases::<T>::get(id) else { continue };
			if !lease.is_open() {
				continue;
			}
			let reason = match lease.status {
				LeaseStatus::Preempting { until } if until < lease.ends_at => {
					CloseReason::Preempted
				},
				_ => CloseReason::Expired,
			};
			Self::close(id, lease, reason, now);
		}
		T::WeightInfo::on_initialize(count)
	}

	/// Pays the provider what accrued up to `at`, refunds the rest, frees the GPUs, and tells
	/// reputation how the lease ended. Returns the refund.
	pub(crate) fn close(
		id: LeaseId,
		mut lease: LeaseRecordOf<T>,
		reason: CloseReason,
		at: BlockNumberFor<T>,
	) -> Balance {
		Self::pay_accrued(id, &mut lease, at);
		Self::end(id, lease, reason, reason == CloseReason::ProviderFault)
	}

	/// Closes the lease without paying anything more: refunds what is left in escrow, frees
	/// the GPUs, and tells reputation (`fault` if the provider caused it). Returns the refund.
	pub(crate) fn end(
		id: LeaseId,
		mut lease: LeaseRecordOf<T>,
		reason: CloseReason,
		fault: bool,
	) -> Balance {
		let mut refunded = Self::refund_escrow(&mut lease);
		// A job lease its provider failed (a fault, an upheld dispute) never pays it: what
		// was held for it goes back, and the slash compensates only what was really paid.
		if fault {
			refunded = refunded.saturating_add(Self::take_back_held(id, &mut lease));
		}
		Self::unschedule_close(id, lease.closes_at);
		MachineLeases::<T>::mutate_exists(lease.machine, |open| remove_from_list(open, &id));
		T::Machines::gpus_released(lease.machine, lease.gpus);
		lease.status = LeaseStatus::Closed { reason };
		lease.closes_at = frame_system::Pallet::<T>::block_number();
		T::Reputation::lease_closed(lease.machine, &lease.provider, lease.paid, fault);
		if lease.paid > 0 {
			T::Machines::lease_priced(lease.machine, lease.price_per_gpu_hour, lease.paid);
		}
		let (machine, starts_at, ended_at) = (lease.machine, lease.starts_at, lease.ended_at());
		Leases::<T>::insert(id, lease);
		Self::queue_for_pruning(id);
		// The same end the lease's facts give the attestation pallet for its dispute window.
		T::Watch::lease_closed(id, machine, ended_at);
		Self::deposit_event(Event::Closed { lease: id, reason, refunded });
		// A provider fault closes every lease on the machine anyway: nothing to restore.
		if !fault && frame_system::Pallet::<T>::block_number() < starts_at {
			if let Some(gpus) = T::Machines::machine_gpus(machine) {
				Self::cancel_notices(machine, id, gpus);
			}
		}
		if !MachineLeases::<T>::contains_key(machine) {
			T::Machines::last_lease_closed(machine);
		}
		refunded
	}
}

impl<T: Config> Pallet<T> {
	/// Puts the just-closed `lease` at the end of the pruning queue.
	fn queue_for_pruning(lease: LeaseId) {
		let now = frame_system::Pallet::<T>::block_number();
		ClosedLeaseQueue::<T>::mutate(|(_, next)| {
			ClosedLeases::<T>::insert(*next, (lease, now));
			*next = next.saturating_add(1);
		});
	}

	/// Prunes, oldest first, the closed leases whose retention has passed: at most
	/// `MaxPrunesPerBlock`. A lease with a dispute undecided goes back to the end of the queue.
	pub(crate) fn prune_closed(now: BlockNumberFor<T>) -> Weight {
		let (mut head, next) = ClosedLeaseQueue::<T>::get();
		let mut visited = 0u32;
		while visited < T::MaxPrunesPerBlock::get() && head < next {
			let entry = ClosedLeases::<T>::get(head);
			if entry.is_some_and(|(_, closed_at)| {
				closed_at.saturating_add(T::ClosedLeaseRetention::get()) > now
			}) {
				break;
			}
			ClosedLeases::<T>::remove(head);
			head = head.saturating_add(1);
			visited = visited.saturating_add(1);
			let Some((id, _)) = entry else { continue };
			// A job's payout still held waits for the job's result to be decided.
			let held = Leases::<T>::get(id).and_then(|l| l.held_payout).unwrap_or_default();
			if held > 0 || !T::Watch::forget(id) {
				// Kept another retention period, for governance to decide the dispute.
				Self::queue_for_pruning(id);
				continue;
			}
			if let Some(lease) = Leases::<T>::take(id) {
				LeasesOf::<T>::remove(&lease.renter, id);
				Self::deposit_event(Event::Pruned { lease: id });
			}
		}
		ClosedLeaseQueue::<T>::mutate(|(first, _)| *first = head);
		T::WeightInfo::prune(visited)
	}
}

/// The marketplace's order matching opens leases here.
impl<T: Config> gpux_primitives::LeaseOpener<T::AccountId, Balance, BlockNumberFor<T>>
	for Pallet<T>
{
	fn open_lease(
		renter: &T::AccountId,
		machine: MachineId,
		gpus: u32,
		mode: gpux_primitives::LeaseMode,
		duration: BlockNumberFor<T>,
		price: Balance,
		access: gpux_primitives::AccessSpec,
	) -> Result<(LeaseId, Weight), sp_runtime::DispatchError> {
		Self::do_rent(renter.clone(), machine, gpus, mode, duration, price, access)
			.map(|(lease, examined)| (lease, Self::rent_weight(examined)))
	}

	fn open_lease_weight() -> Weight {
		Self::rent_charge()
	}
}

/// The marketplace's jobs open their leases here and decide their payouts.
impl<T: Config> gpux_primitives::JobLeases<T::AccountId, Balance, BlockNumberFor<T>> for Pallet<T> {
	fn open_job_lease(
		renter: &T::AccountId,
		machine: MachineId,
		gpus: u32,
		duration: BlockNumberFor<T>,
		price: Balance,
		access: gpux_primitives::AccessSpec,
	) -> Result<LeaseId, DispatchError> {
		Self::do_rent_for_job(renter.clone(), machine, gpus, duration, price, access)
	}

	fn check_job_lease(
		machine: MachineId,
		gpus: u32,
		duration: BlockNumberFor<T>,
		price: Balance,
	) -> sp_runtime::DispatchResult {
		let listed = T::Machines::listed_machine(machine).ok_or(Error::<T>::NotListed)?;
		frame_support::ensure!(price <= listed.mfp, Error::<T>::PriceAboveMfp);
		frame_support::ensure!(
			duration >= listed.terms.min_lease_blocks && duration <= listed.terms.max_lease_blocks,
			Error::<T>::DurationOutOfBounds
		);
		frame_support::ensure!(gpus > 0 && gpus <= listed.gpu_count, Error::<T>::NoFreeGpus);
		let escrow = Self::cost(price, gpus, duration)?;
		frame_support::ensure!(escrow >= T::MinEscrow::get(), Error::<T>::EscrowBelowMinimum);
		Ok(())
	}

	fn job_lease_cost(gpus: u32, duration: BlockNumberFor<T>, price: Balance) -> Option<Balance> {
		Self::cost(price, gpus, duration).ok()
	}

	fn is_closed(lease: LeaseId) -> Option<bool> {
		Leases::<T>::get(lease).map(|l| !l.is_open())
	}

	fn release_payout(lease: LeaseId) -> Balance {
		Leases::<T>::mutate(lease, |record| {
			record.as_mut().map_or(0, |record| Self::release_held(lease, record))
		})
	}

	fn refund_payout(lease: LeaseId) -> Balance {
		Leases::<T>::mutate(lease, |record| {
			record.as_mut().map_or(0, |record| Self::refund_held(lease, record))
		})
	}

	fn open_job_lease_weight() -> Weight {
		T::WeightInfo::rent(T::MaxLeasesPerMachine::get())
	}

	fn payout_weight() -> Weight {
		T::WeightInfo::settle()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn end_lease_for_benchmarks(lease: LeaseId) {
		if let Some(record) = Leases::<T>::get(lease).filter(|l| l.is_open()) {
			let now = frame_system::Pallet::<T>::block_number();
			Self::close(lease, record, CloseReason::RenterTerminated, now);
		}
	}
}

/// The marketplace asks here whether a machine may leave; the staking pallet closes a faulty
/// machine's leases.
impl<T: Config> LeaseRegistry<T::AccountId, Balance> for Pallet<T> {
	fn open_leases_on(machine: MachineId) -> u32 {
		MachineLeases::<T>::decode_len(machine).unwrap_or_default() as u32
	}

	fn close_for_fault(machine: MachineId) -> Vec<(T::AccountId, Balance)> {
		let now = frame_system::Pallet::<T>::block_number();
		MachineLeases::<T>::get(machine)
			.into_iter()
			.filter_map(|id| {
				// Read again: an earlier close in this loop may have changed it (a cancelled
				// preemption notice is rescheduled).
				let lease = Leases::<T>::get(id).filter(|l| l.is_open())?;
				let renter = lease.renter.clone();
				Self::close(id, lease, CloseReason::ProviderFault, now);
				let paid = Leases::<T>::get(id).map_or(0, |closed| closed.paid);
				Some((renter, paid))
			})
			.collect()
	}
}
