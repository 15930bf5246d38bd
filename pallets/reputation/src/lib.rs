#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod feed;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;

pub use pallet::*;
pub use types::*;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::reputation";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use gpux_primitives::{Balance, MachineId};
	use sp_runtime::Permill;

	/// Layout 1: the launch layout. A change of layout bumps it and ships a migration in the
	/// runtime's `migrations` list.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Reputation has no calls: it learns from the other pallets through
	/// `gpux_primitives::ReputationFeed` and is read through `ReputationScores` and
	/// `ReputationApi`.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// How much uptime counts in the score.
		#[pallet::constant]
		type UptimeWeight: Get<u32>;
		/// How much leases closed without fault count.
		#[pallet::constant]
		type LeaseOutcomeWeight: Get<u32>;
		/// How much the challenge pass rate counts.
		#[pallet::constant]
		type ChallengeWeight: Get<u32>;
		/// How much renter ratings count.
		#[pallet::constant]
		type RatingWeight: Get<u32>;
		/// How far one input moves its component toward 0 or 100 %.
		#[pallet::constant]
		type Smoothing: Get<Permill>;
		/// A lease paying at least this moves lease outcomes and ratings a full `Smoothing`
		/// step; a cheaper one moves them in proportion, so cheap self-rented leases cannot
		/// pump a score.
		#[pallet::constant]
		type FullWeightValue: Get<Balance>;
		/// Idle blocks after which a score has decayed by `DecayRate` toward neutral.
		#[pallet::constant]
		type DecayPeriod: Get<BlockNumberFor<Self>>;
		/// Share of its distance from neutral a score loses each idle `DecayPeriod`.
		#[pallet::constant]
		type DecayRate: Get<Permill>;
	}

	/// Scores by machine; a machine without one is neutral.
	#[pallet::storage]
	pub type MachineScores<T: Config> =
		StorageMap<_, Twox64Concat, MachineId, ScoreRecord<BlockNumberFor<T>>>;

	/// Scores by provider; a provider without one is neutral.
	#[pallet::storage]
	pub type ProviderScores<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ScoreRecord<BlockNumberFor<T>>>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			let weights = Pallet::<T>::weights();
			assert!(
				weights.uptime > 0
					|| weights.lease_outcomes > 0
					|| weights.challenges > 0
					|| weights.ratings > 0,
				"some component must count"
			);
			assert!(!T::DecayPeriod::get().is_zero(), "decay needs a period");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}
