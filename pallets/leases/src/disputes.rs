//! What the attestation pallet needs of a lease: its facts, and the refund of a lease whose
//! dispute governance upheld.

use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, LeaseDisputes, LeaseFacts, LeaseId};
use sp_runtime::DispatchError;

use crate::{CloseReason, Config, Error, LeaseRecordOf, Leases, Pallet};

impl<T: Config> LeaseDisputes<T::AccountId, Balance, BlockNumberFor<T>> for Pallet<T> {
	fn lease_facts(lease: LeaseId) -> Option<LeaseFacts<T::AccountId, BlockNumberFor<T>>> {
		Leases::<T>::get(lease).map(|record| LeaseFacts {
			ends_at: record.ended_at(),
			open: record.is_open(),
			starts_at: record.starts_at,
			renter: record.renter,
			provider: record.provider,
			machine: record.machine,
		})
	}

	fn refund_disputed(id: LeaseId) -> Result<(Balance, Balance), DispatchError> {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		// A lease a fault closed was compensated by that fault's slash already.
		let fault_closed = lease.closed_by_fault();
		let refunded = if lease.is_open() {
			Self::end_open(id, lease, CloseReason::Governance)
		} else {
			// A closed job lease: what is still held for its provider goes back too.
			let back = Self::take_back_held(id, &mut lease);
			Leases::<T>::insert(id, lease);
			back
		};
		// What the provider was really paid (a job's held payout went back, not to it).
		let paid = Leases::<T>::get(id).map_or(0, |l| l.paid);
		Ok((refunded, if fault_closed { 0 } else { paid }))
	}

	fn abandon(id: LeaseId) -> Option<(Balance, Balance)> {
		let lease = Leases::<T>::get(id)?;
		if lease.closed_by_fault() {
			return None;
		}
		// Closed by its renter, its end or a preemption: it paid for a start never attested.
		let refunded = Self::end_open(id, lease, CloseReason::ProviderFault);
		Some((refunded, Leases::<T>::get(id).map_or(0, |l| l.paid)))
	}
}

impl<T: Config> Pallet<T> {
	/// Closes the lease, if open, as `reason` without paying what accrued since the last
	/// settle: its whole escrow goes back. Returns the refund.
	fn end_open(id: LeaseId, lease: LeaseRecordOf<T>, reason: CloseReason) -> Balance {
		if lease.is_open() {
			Self::end(id, lease, reason, true)
		} else {
			0
		}
	}
}
