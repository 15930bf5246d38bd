//! What happens block by block: the close schedule and closing leases.

use frame_support::{traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::LeaseId;
use sp_runtime::{
	traits::{One, Saturating},
	DispatchError,
};

use crate::{
	CloseReason, Closes, Config, Error, Event, LeaseRecordOf, LeaseStatus, Leases, MachineLeases,
	Pallet, WeightInfo,
};
use gpux_primitives::{LeaseRegistry, MachineId};

impl<T: Config> Pallet<T> {
	/// Schedules `lease` to close at `at`, or at the first later block with room, at most
	/// `MaxCloseDelay` blocks later; never at a block that has begun. Returns the block.
	pub(crate) fn schedule_close(
		lease: LeaseId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let next_block = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		let mut block = at.max(next_block);
		for _ in 0..=T::MaxCloseDelay::get() {
			if Closes::<T>::mutate(block, |due| due.try_push(lease).is_ok()) {
				return Ok(block);
			}
			block = block.saturating_add(One::one());
		}
		Err(Error::<T>::ScheduleFull.into())
	}

	/// Takes `lease` off the schedule of block `at`.
	pub(crate) fn unschedule_close(lease: LeaseId, at: BlockNumberFor<T>) {
		Closes::<T>::mutate_exists(at, |due| {
			if let Some(list) = due {
				list.retain(|id| *id != lease);
				if list.is_empty() {
					*due = None;
				}
			}
		});
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

	/// Pays the provider what accrued up to `at`, refunds the rest, frees the GPUs.
	pub(crate) fn close(
		id: LeaseId,
		mut lease: LeaseRecordOf<T>,
		reason: CloseReason,
		at: BlockNumberFor<T>,
	) {
		Self::pay_accrued(id, &mut lease, at);
		let refunded = Self::refund_escrow(&mut lease);
		Self::unschedule_close(id, lease.closes_at);
		MachineLeases::<T>::mutate_exists(lease.machine, |open| {
			if let Some(list) = open {
				list.retain(|lease| *lease != id);
				if list.is_empty() {
					*open = None;
				}
			}
		});
		lease.status = LeaseStatus::Closed { reason };
		Leases::<T>::insert(id, lease);
		Self::deposit_event(Event::Closed { lease: id, reason, refunded });
	}
}

/// The marketplace asks here whether a machine may leave.
impl<T: Config> LeaseRegistry for Pallet<T> {
	fn open_leases_on(machine: MachineId) -> u32 {
		MachineLeases::<T>::decode_len(machine).unwrap_or_default() as u32
	}
}

impl<T: Config> Pallet<T> {
	/// GPUs of `machine` (of `gpu_count`) that no open lease holds now.
	pub fn free_gpus(machine: MachineId, gpu_count: u32) -> u32 {
		let in_use = MachineLeases::<T>::get(machine)
			.into_iter()
			.filter_map(Leases::<T>::get)
			.map(|lease| lease.gpus)
			.fold(0u32, u32::saturating_add);
		gpu_count.saturating_sub(in_use)
	}

	/// What `lease` owes its provider now and has not paid; `None` for an unknown lease.
	pub fn accrued(lease: gpux_primitives::LeaseId) -> Option<gpux_primitives::Balance> {
		let record = Leases::<T>::get(lease)?;
		if !record.is_open() {
			return Some(0);
		}
		let now = frame_system::Pallet::<T>::block_number();
		Some(Self::due_until(&record, now).saturating_sub(record.paid).min(record.escrow))
	}

	/// The renter's leases after `after`, oldest first, at most `limit` (capped at 100). Reads
	/// at most 10,000 of the renter's lease ids (storage order is by hash, so they are sorted).
	pub fn leases_of(
		renter: &T::AccountId,
		after: Option<gpux_primitives::LeaseId>,
		limit: u32,
	) -> alloc::vec::Vec<(gpux_primitives::LeaseId, LeaseRecordOf<T>)> {
		let mut ids: alloc::vec::Vec<_> = crate::LeasesOf::<T>::iter_key_prefix(renter)
			.take(10_000)
			.filter(|id| after.is_none_or(|after| *id > after))
			.collect();
		ids.sort_unstable();
		ids.into_iter()
			.take(limit.min(100) as usize)
			.filter_map(|id| Leases::<T>::get(id).map(|lease| (id, lease)))
			.collect()
	}
}
