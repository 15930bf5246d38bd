//! Inputs arriving from the other pallets, and scores read back with decay applied.

use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, MachineId, ReputationFeed, ReputationScores};
use sp_runtime::{
	traits::{SaturatedConversion, Saturating, Zero},
	Permill,
};

use crate::{
	runtime_api::ReputationView, toward, ComponentWeights, Config, MachineScores, Pallet,
	ProviderScores, ScoreRecord,
};

/// Which component an input moves, and toward what.
#[derive(Clone, Copy)]
enum Input {
	Uptime { met: bool },
	Challenge { passed: bool },
	LeaseClosed { value: Balance, fault: bool },
	Rated { value: Balance, stars: u8 },
}

impl<T: Config> Pallet<T> {
	/// The component weights now.
	pub fn weights() -> ComponentWeights {
		ComponentWeights {
			uptime: T::UptimeWeight::get(),
			lease_outcomes: T::LeaseOutcomeWeight::get(),
			challenges: T::ChallengeWeight::get(),
			ratings: T::RatingWeight::get(),
		}
	}

	/// `record` as it stands at `now`: decayed toward neutral for each whole idle period.
	fn decayed(
		mut record: ScoreRecord<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> ScoreRecord<BlockNumberFor<T>> {
		let period = T::DecayPeriod::get();
		if period.is_zero() {
			return record;
		}
		let idle: u32 = (now.saturating_sub(record.updated_at) / period).saturated_into();
		if idle > 0 {
			let keep = Permill::one().saturating_sub(T::DecayRate::get());
			record.decay(keep.saturating_pow(idle as usize));
		}
		record
	}

	/// A share of `Smoothing` in proportion to `value`, full from `FullWeightValue` up.
	fn value_step(value: Balance) -> Permill {
		let full = T::FullWeightValue::get();
		let share =
			if full == 0 { Permill::one() } else { Permill::from_rational(value.min(full), full) };
		share * T::Smoothing::get()
	}

	fn apply(record: &mut ScoreRecord<BlockNumberFor<T>>, input: Input) {
		let full_step = T::Smoothing::get();
		let good = |yes: bool| if yes { Permill::one() } else { Permill::zero() };
		match input {
			Input::Uptime { met } => {
				record.uptime = toward(record.uptime, good(met), full_step);
				let count = if met { &mut record.windows_met } else { &mut record.windows_missed };
				*count = count.saturating_add(1);
			},
			Input::Challenge { passed } => {
				record.challenges = toward(record.challenges, good(passed), full_step);
				let count = if passed {
					&mut record.challenges_passed
				} else {
					&mut record.challenges_failed
				};
				*count = count.saturating_add(1);
			},
			Input::LeaseClosed { value, fault } => {
				// A fault costs a full step whatever the lease paid; a clean close earns by value.
				let step = if fault { full_step } else { Self::value_step(value) };
				record.lease_outcomes = toward(record.lease_outcomes, good(!fault), step);
				let count =
					if fault { &mut record.leases_faulty } else { &mut record.leases_clean };
				*count = count.saturating_add(1);
			},
			Input::Rated { value, stars } => {
				let target = Permill::from_rational(u32::from(stars.clamp(1, 5) - 1), 4u32);
				record.ratings = toward(record.ratings, target, Self::value_step(value));
				record.ratings_received = record.ratings_received.saturating_add(1);
			},
		}
	}

	/// Applies `input` to the machine's and the provider's records.
	fn note(machine: MachineId, provider: &T::AccountId, input: Input) {
		let now = frame_system::Pallet::<T>::block_number();
		let update = |record: Option<ScoreRecord<BlockNumberFor<T>>>| {
			let mut record = Self::decayed(record.unwrap_or_default(), now);
			Self::apply(&mut record, input);
			record.updated_at = now;
			Some(record)
		};
		MachineScores::<T>::mutate(machine, |record| *record = update(record.take()));
		ProviderScores::<T>::mutate(provider, |record| *record = update(record.take()));
	}

	fn view(record: Option<ScoreRecord<BlockNumberFor<T>>>) -> ReputationView<BlockNumberFor<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		let record = record.map(|r| Self::decayed(r, now)).unwrap_or_default();
		ReputationView { score: record.score(Self::weights()), record }
	}

	/// The machine's score and breakdown now.
	pub fn machine_reputation(machine: MachineId) -> ReputationView<BlockNumberFor<T>> {
		Self::view(MachineScores::<T>::get(machine))
	}

	/// The provider's score and breakdown now.
	pub fn provider_reputation(provider: &T::AccountId) -> ReputationView<BlockNumberFor<T>> {
		Self::view(ProviderScores::<T>::get(provider))
	}
}

impl<T: Config> ReputationFeed<T::AccountId, Balance> for Pallet<T> {
	fn uptime_window(machine: MachineId, provider: &T::AccountId, met: bool) {
		Self::note(machine, provider, Input::Uptime { met });
	}
	fn challenge_decided(machine: MachineId, provider: &T::AccountId, passed: bool) {
		Self::note(machine, provider, Input::Challenge { passed });
	}
	fn lease_closed(machine: MachineId, provider: &T::AccountId, value: Balance, fault: bool) {
		Self::note(machine, provider, Input::LeaseClosed { value, fault });
	}
	fn lease_rated(machine: MachineId, provider: &T::AccountId, value: Balance, stars: u8) {
		Self::note(machine, provider, Input::Rated { value, stars });
	}
}

impl<T: Config> ReputationScores<T::AccountId> for Pallet<T> {
	fn machine_score(machine: MachineId) -> Permill {
		Self::machine_reputation(machine).score
	}
	fn provider_score(provider: &T::AccountId) -> Permill {
		Self::provider_reputation(provider).score
	}
}
