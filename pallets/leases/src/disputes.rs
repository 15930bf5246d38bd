//! What the attestation pallet needs of a lease: its facts, and the refund of a lease whose
//! dispute governance upheld.

use frame_support::traits::{
	fungible::{Inspect, Mutate},
	tokens::{Fortitude, Preservation},
	Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	storage::remove_from_list, Balance, LeaseDisputes, LeaseFacts, LeaseId, ReputationFeed,
};
use sp_runtime::DispatchError;

use crate::{CloseReason, Config, Error, Event, LeaseStatus, Leases, MachineLeases, Pallet};

impl<T: Config> LeaseDisputes<T::AccountId, Balance, BlockNumberFor<T>> for Pallet<T> {
	fn lease_facts(lease: LeaseId) -> Option<LeaseFacts<T::AccountId, BlockNumberFor<T>>> {
		Leases::<T>::get(lease).map(|record| LeaseFacts {
			open: record.is_open(),
			renter: record.renter,
			provider: record.provider,
			machine: record.machine,
			ends_at: record.ends_at,
		})
	}

	fn refund_disputed(id: LeaseId) -> Result<Balance, DispatchError> {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		let mut refunded: Balance = 0;
		if lease.is_open() {
			// Closed without paying what accrued since the last settle: the escrow goes back.
			refunded = Self::refund_escrow(&mut lease);
			Self::unschedule_close(id, lease.closes_at);
			MachineLeases::<T>::mutate_exists(lease.machine, |open| remove_from_list(open, &id));
			lease.status = LeaseStatus::Closed { reason: CloseReason::Governance };
			T::Reputation::lease_closed(lease.machine, &lease.provider, lease.paid, true);
			Self::deposit_event(Event::Closed {
				lease: id,
				reason: CloseReason::Governance,
				refunded,
			});
		}
		// What the provider was paid (the fee went to the treasury), as far as its free
		// balance goes; governance can slash the rest from the bond.
		let fee = T::ProtocolFee::get() * lease.paid;
		let owed_back = lease.paid.saturating_sub(fee);
		let available = T::Currency::reducible_balance(
			&lease.provider,
			Preservation::Preserve,
			Fortitude::Polite,
		);
		let clawed = owed_back.min(available);
		if clawed > 0 {
			T::Currency::transfer(&lease.provider, &lease.renter, clawed, Preservation::Preserve)?;
			refunded = refunded.saturating_add(clawed);
		}
		Leases::<T>::insert(id, lease);
		Ok(refunded)
	}
}
