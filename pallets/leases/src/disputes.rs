//! What the attestation pallet needs of a lease: its facts, and the refund of a lease whose
//! dispute governance upheld.

use frame_support::traits::{
	fungible::{Inspect, Mutate},
	tokens::{Fortitude, Preservation},
	Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, LeaseDisputes, LeaseFacts, LeaseId};
use sp_runtime::DispatchError;

use crate::{CloseReason, Config, Error, LeaseRecordOf, Leases, Pallet};

impl<T: Config> LeaseDisputes<T::AccountId, Balance, BlockNumberFor<T>> for Pallet<T> {
	fn lease_facts(lease: LeaseId) -> Option<LeaseFacts<T::AccountId, BlockNumberFor<T>>> {
		Leases::<T>::get(lease).map(|record| LeaseFacts {
			ends_at: record.accrues_until(),
			open: record.is_open(),
			renter: record.renter,
			provider: record.provider,
			machine: record.machine,
		})
	}

	fn refund_disputed(id: LeaseId) -> Result<Balance, DispatchError> {
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownLease)?;
		Ok(Self::refund_whole(id, lease, CloseReason::Governance))
	}

	fn abandon(id: LeaseId) -> Balance {
		match Leases::<T>::get(id) {
			Some(lease) if lease.is_open() => {
				Self::refund_whole(id, lease, CloseReason::ProviderFault)
			},
			_ => 0,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Gives the renter back everything the lease cost: an open lease closes as `reason`
	/// without paying what accrued since the last settle, and what the provider was paid
	/// (less the fee, which went to the treasury) comes back from its free balance as far as
	/// it goes (governance can slash the rest from the bond).
	fn refund_whole(id: LeaseId, lease: LeaseRecordOf<T>, reason: CloseReason) -> Balance {
		let (provider, renter, paid) = (lease.provider.clone(), lease.renter.clone(), lease.paid);
		let mut refunded = if lease.is_open() { Self::end(id, lease, reason, true) } else { 0 };
		let owed_back = paid.saturating_sub(T::ProtocolFee::get() * paid);
		let available =
			T::Currency::reducible_balance(&provider, Preservation::Preserve, Fortitude::Polite);
		let clawed = owed_back.min(available);
		if clawed > 0
			&& T::Currency::transfer(&provider, &renter, clawed, Preservation::Preserve).is_ok()
		{
			refunded = refunded.saturating_add(clawed);
		}
		refunded
	}
}
