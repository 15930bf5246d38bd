//! What must always hold of scores; checked after every test and by try-runtime.

use frame_support::ensure;
use sp_runtime::{PerThing, Permill, TryRuntimeError};

use crate::{Config, MachineScores, Pallet, ProviderScores, ScoreRecord};

fn within_bounds<B>(record: &ScoreRecord<B>) -> bool {
	[record.uptime, record.lease_outcomes, record.challenges, record.ratings]
		.iter()
		.all(|c| c.deconstruct() <= Permill::ACCURACY)
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_try_state() -> Result<(), TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		for (_, record) in MachineScores::<T>::iter() {
			ensure!(within_bounds(&record), "machine score component above 100 %");
			ensure!(record.updated_at <= now, "machine score updated in the future");
		}
		for (_, record) in ProviderScores::<T>::iter() {
			ensure!(within_bounds(&record), "provider score component above 100 %");
			ensure!(record.updated_at <= now, "provider score updated in the future");
		}
		Ok(())
	}
}
