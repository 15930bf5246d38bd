//! Provider registration.

use frame_support::{ensure, pallet_prelude::DispatchResult};

use crate::{Config, Error, Event, MetadataOf, Pallet, ProviderRecord, Providers};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_provider(
		who: T::AccountId,
		metadata: MetadataOf<T>,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		let registered_at = frame_system::Pallet::<T>::block_number();
		Providers::<T>::insert(
			&who,
			ProviderRecord {
				metadata,
				registered_at,
				machines: 0,
				listed_gpus: 0,
				committed_gpus: 0,
			},
		);
		Self::deposit_event(Event::ProviderRegistered { provider: who });
		Ok(())
	}
}
