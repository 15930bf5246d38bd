#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
mod origins;
#[cfg(test)]
mod tests;
pub mod weights;

pub use origins::{EnsureMarketAdmin, EnsureTreasurer};
pub use pallet::*;
pub use weights::WeightInfo;

/// A parameter's key in the runtime's aggregated parameters.
pub type ParameterKeyOf<T> = <<T as pallet_parameters::Config>::RuntimeParameters as frame_support::traits::dynamic_params::AggregatedKeyValue>::Key;

/// The documented range of every market parameter.
pub trait ParameterRanges<P> {
	/// Whether `key_value`'s new value lies in its parameter's range (given the other
	/// parameters' current values where two must fit together). Removing a value, which brings
	/// back the default, is always in range.
	fn in_range(key_value: &P) -> bool;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{dynamic_params::AggregatedKeyValue, EnsureOriginWithArg},
	};
	use frame_system::pallet_prelude::*;

	/// Layout 1: the launch layout.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_parameters::Config {
		/// Who may set each parameter through `setParameter`: `market_admin` or Root.
		type ParameterOrigin: EnsureOriginWithArg<Self::RuntimeOrigin, ParameterKeyOf<Self>>;
		/// Each parameter's range; a value outside it is refused.
		type ParameterRanges: ParameterRanges<
			<Self as pallet_parameters::Config>::RuntimeParameters,
		>;
		type WeightInfo: WeightInfo;
	}

	/// The origins that OpenGov's tracks dispatch with, beside Root.
	#[pallet::origin]
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	pub enum Origin {
		/// A referendum passed on the `market_admin` track: market parameters, GPU classes,
		/// slash cancellation, disputes, fault reports, verifiers.
		MarketAdmin,
		/// A referendum passed on the `treasurer` track: treasury spends.
		Treasurer,
	}

	/// How long a chain's referenda take.
	#[derive(
		Clone,
		Copy,
		PartialEq,
		Eq,
		Default,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
		Debug,
		serde::Serialize,
		serde::Deserialize,
	)]
	pub enum TrackTiming {
		/// Periods sized for a real network: days to decide, hours to confirm.
		#[default]
		Live,
		/// Periods of a few blocks, for development and test chains.
		Fast,
	}

	/// The timing of every track, set at genesis; only Root (`system.setStorage`) changes it.
	#[pallet::storage]
	pub type Timing<T: Config> = StorageValue<_, TrackTiming, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		pub timing: TrackTiming,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Timing::<T>::put(self.timing);
		}
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The value lies outside its parameter's documented range (docs/governance.md).
		ParameterOutOfRange,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Sets a market parameter, or with no value brings back its default, after checking
		/// the value against the parameter's range. `parameters.Updated` reports the change.
		#[pallet::call_index(0)]
		pub fn set_parameter(
			origin: OriginFor<T>,
			key_value: <T as pallet_parameters::Config>::RuntimeParameters,
		) -> DispatchResult {
			let key = key_value.clone().into_parts().0;
			T::ParameterOrigin::ensure_origin(origin, &key)?;
			Self::do_set_parameter(key_value)
		}
	}

	impl<T: Config> Pallet<T> {
		pub(crate) fn do_set_parameter(
			key_value: <T as pallet_parameters::Config>::RuntimeParameters,
		) -> DispatchResult {
			ensure!(T::ParameterRanges::in_range(&key_value), Error::<T>::ParameterOutOfRange);
			// Root passes pallet-parameters' own check: the origin was checked above.
			pallet_parameters::Pallet::<T>::set_parameter(
				frame_system::RawOrigin::Root.into(),
				key_value,
			)
		}

		/// The timing the tracks use now.
		pub fn timing() -> TrackTiming {
			Timing::<T>::get()
		}
	}
}
