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

use crate::{CloseReason, Config, Error, Leases, Pallet};

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
		let (provider, renter, paid) = (lease.provider.clone(), lease.renter.clone(), lease.paid);
		// An open lease closes without paying what accrued since the last settle: the whole
		// escrow goes back.
		let mut refunded =
			if lease.is_open() { Self::end(id, lease, CloseReason::Governance, true) } else { 0 };
		// What the provider was paid (the fee went to the treasury), as far as its free
		// balance goes; governance can slash the rest from the bond.
		let fee = T::ProtocolFee::get() * paid;
		let owed_back = paid.saturating_sub(fee);
		let available =
			T::Currency::reducible_balance(&provider, Preservation::Preserve, Fortitude::Polite);
		let clawed = owed_back.min(available);
		if clawed > 0 {
			T::Currency::transfer(&provider, &renter, clawed, Preservation::Preserve)?;
			refunded = refunded.saturating_add(clawed);
		}
		Ok(refunded)
	}
}
