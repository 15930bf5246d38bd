//! Provider registration and deregistration, with the deposit held meanwhile.

use frame_support::{
	ensure,
	pallet_prelude::DispatchResult,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use gpux_primitives::Balance;

use crate::{Config, Error, Event, HoldReason, MetadataOf, Pallet, ProviderRecord, Providers};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_provider(
		who: T::AccountId,
		metadata: MetadataOf<T>,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		let deposit = T::ProviderDeposit::get();
		Self::hold_deposit(&who, HoldReason::ProviderDeposit, deposit)?;
		let registered_at = frame_system::Pallet::<T>::block_number();
		Providers::<T>::insert(
			&who,
			ProviderRecord {
				metadata,
				registered_at,
				machines: 0,
				listed_gpus: 0,
				committed_gpus: 0,
				deposit,
			},
		);
		Self::deposit_event(Event::ProviderRegistered { provider: who, deposit });
		Ok(())
	}

	pub(crate) fn do_deregister_provider(who: T::AccountId) -> DispatchResult {
		let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
		ensure!(provider.machines == 0, Error::<T>::ProviderHasMachines);
		Providers::<T>::remove(&who);
		Self::release_deposit(&who, HoldReason::ProviderDeposit, provider.deposit);
		Self::deposit_event(Event::ProviderDeregistered {
			provider: who,
			deposit: provider.deposit,
		});
		Ok(())
	}

	/// Holds a registration deposit from `who`'s free balance.
	pub(crate) fn hold_deposit(
		who: &T::AccountId,
		reason: HoldReason,
		amount: Balance,
	) -> DispatchResult {
		T::Currency::hold(&reason.into(), who, amount)
			.map_err(|_| Error::<T>::DepositExceedsBalance.into())
	}

	/// Returns a registration deposit; what a hold no longer has (it cannot be slashed, so
	/// nothing) is logged, not fatal.
	pub(crate) fn release_deposit(who: &T::AccountId, reason: HoldReason, amount: Balance) {
		if let Err(e) = T::Currency::release(&reason.into(), who, amount, Precision::BestEffort) {
			log::warn!(target: crate::LOG_TARGET, "deposit of {amount} not released: {e:?}");
		}
	}
}
