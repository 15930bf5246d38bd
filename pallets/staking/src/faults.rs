//! Faults coming in: leases closed, a slash computed and deferred.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::{DispatchResult, Weight},
	storage::with_storage_layer,
	traits::Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	storage::{first_block_with_room, remove_from_list},
	Balance, FaultKind, FaultReporter, LeaseRegistry, MachineId, ProviderMarket,
};
use sp_runtime::{
	traits::{CheckedAdd, One, Saturating},
	DispatchError, Perbill,
};

use crate::{
	weights::WeightInfo, Bonds, Config, Error, Event, NextSlashId, Pallet, PendingSlash, SlashId,
	SlashRentersOf, SlashSchedule, Slashes,
};

/// How many blocks past its due block a slash may move when that block's schedule is full.
pub const MAX_SLASH_DELAY: u32 = 10;

impl<T: Config> Pallet<T> {
	/// The share of a machine's bond a fault of `kind` costs.
	pub fn slash_fraction(kind: FaultKind) -> Perbill {
		match kind {
			FaultKind::Offline => T::OfflineSlash::get(),
			FaultKind::FailedChallenge => T::FailedChallengeSlash::get(),
			FaultKind::SpecMismatch => T::SpecMismatchSlash::get(),
			FaultKind::LeaseAbandoned => T::LeaseAbandonedSlash::get(),
			FaultKind::Disputed => T::DisputedSlash::get(),
		}
	}

	/// Reports a fault, or changes nothing: closing leases and deferring the slash happen
	/// together or not at all.
	/// `victim`: a renter of a lease the fault concerns that it does not close (an upheld
	/// dispute, an abandoned lease), with its loss; compensated like the closed leases'.
	pub(crate) fn do_report_fault(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<T::AccountId>,
		victim: Option<(T::AccountId, Balance)>,
	) -> DispatchResult {
		with_storage_layer(|| Self::report_in_layer(machine, kind, reporter, victim))
	}

	fn report_in_layer(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<T::AccountId>,
		victim: Option<(T::AccountId, Balance)>,
	) -> DispatchResult {
		let (provider, gpus) =
			T::Market::machine_owner(machine).ok_or(Error::<T>::UnknownMachine)?;
		let renters: Vec<(T::AccountId, Balance)> = if kind.closes_leases() {
			// A machine that cannot serve its leases cannot take new ones: it stays off the
			// market until its provider lists it again.
			T::Market::delist(machine);
			T::Leases::close_for_fault(machine)
		} else {
			Vec::new()
		};
		let leases_closed = renters.len() as u32;
		let mut renters = renters;
		renters.extend(victim.filter(|(_, loss)| *loss > 0));
		let now = frame_system::Pallet::<T>::block_number();
		let due = now.checked_add(&T::SlashDeferPeriod::get()).ok_or(Error::<T>::Overflow)?;

		// A fault costs a share of what the machine's GPUs need bonded, never more than is held
		// beyond the slashes already pending: together they never exceed the bond.
		let mut ledger = Bonds::<T>::get(&provider).unwrap_or_default();
		let amount = (Self::slash_fraction(kind) * Self::committed_requirement(&ledger, gpus))
			.min(ledger.slashable());
		let (slash, applies_at) = if amount > 0 {
			let id = NextSlashId::<T>::get();
			NextSlashId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
			let applies_at = Self::schedule_slash(id, due)?;
			// Beyond `MaxSlashRenters` renters (more leases than the runtime allows) go
			// uncompensated rather than the fault going unreported.
			let renters = SlashRentersOf::<T>::truncate_from(renters);
			Slashes::<T>::insert(
				id,
				PendingSlash {
					provider: provider.clone(),
					machine,
					kind,
					amount,
					reporter: reporter.clone(),
					renters,
					reported_at: now,
					applies_at,
				},
			);
			ledger.pending_slashes =
				ledger.pending_slashes.checked_add(1).ok_or(Error::<T>::Overflow)?;
			ledger.pending_amount = ledger.pending_amount.saturating_add(amount);
			Bonds::<T>::insert(&provider, ledger);
			(Some(id), applies_at)
		} else {
			(None, now)
		};
		Self::deposit_event(Event::FaultReported {
			machine,
			provider,
			kind,
			reporter,
			slash,
			amount,
			applies_at,
			leases_closed,
		});
		Ok(())
	}

	/// Schedules `slash` at `at`, or the first later block with room within
	/// `MAX_SLASH_DELAY`. Returns the block.
	fn schedule_slash(
		slash: SlashId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let next_block = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		first_block_with_room(at.max(next_block), MAX_SLASH_DELAY, |block| {
			SlashSchedule::<T>::try_mutate(block, |due| due.try_push(slash)).is_ok()
		})
		.ok_or_else(|| Error::<T>::SlashScheduleFull.into())
	}

	pub(crate) fn unschedule_slash(slash: SlashId, at: BlockNumberFor<T>) {
		SlashSchedule::<T>::mutate_exists(at, |due| remove_from_list(due, &slash));
	}

	/// One slash of `pending` fewer pending against `provider`, which took `taken` off its
	/// bond (nothing for a cancelled slash); drops a ledger left with nothing.
	pub(crate) fn settle_pending(provider: &T::AccountId, pending: Balance, taken: Balance) {
		Bonds::<T>::mutate_exists(provider, |maybe| {
			if let Some(ledger) = maybe {
				ledger.deduct(taken);
				ledger.pending_slashes = ledger.pending_slashes.saturating_sub(1);
				ledger.pending_amount = ledger.pending_amount.saturating_sub(pending);
				if ledger.is_empty() {
					*maybe = None;
				}
			}
		});
	}
}

/// Governance and the attestation pallet report faults here.
impl<T: Config> FaultReporter<T::AccountId> for Pallet<T> {
	fn report_fault(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<T::AccountId>,
	) -> DispatchResult {
		Self::do_report_fault(machine, kind, reporter, None)
	}

	fn report_lease_fault(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<T::AccountId>,
		renter: T::AccountId,
		loss: Balance,
	) -> DispatchResult {
		Self::do_report_fault(machine, kind, reporter, Some((renter, loss)))
	}

	fn fault_weight() -> Weight {
		<T as Config>::WeightInfo::report_offline(T::MaxSlashRenters::get())
	}
}
