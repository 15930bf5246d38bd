//! Score records and the arithmetic that moves them.

use codec::{Decode, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{Permill, Saturating};

/// Where every score starts and decays back to.
pub const NEUTRAL: Permill = Permill::from_percent(50);

/// One score's components and the counts behind them.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct ScoreRecord<BlockNumber> {
	/// Heartbeat windows met, as a moving average.
	pub uptime: Permill,
	/// Leases closed without fault, as a moving average (clean ones weighted by value).
	pub lease_outcomes: Permill,
	/// Proof-of-GPU challenges passed, as a moving average.
	pub challenges: Permill,
	/// Renter ratings (1 star = 0, 5 stars = 100 %), as a moving average weighted by value.
	pub ratings: Permill,
	/// When an input last arrived; decay runs from here.
	pub updated_at: BlockNumber,
	pub windows_met: u32,
	pub windows_missed: u32,
	pub leases_clean: u32,
	pub leases_faulty: u32,
	pub challenges_passed: u32,
	pub challenges_failed: u32,
	pub ratings_received: u32,
}

impl<BlockNumber: Default> Default for ScoreRecord<BlockNumber> {
	fn default() -> Self {
		Self {
			uptime: NEUTRAL,
			lease_outcomes: NEUTRAL,
			challenges: NEUTRAL,
			ratings: NEUTRAL,
			updated_at: BlockNumber::default(),
			windows_met: 0,
			windows_missed: 0,
			leases_clean: 0,
			leases_faulty: 0,
			challenges_passed: 0,
			challenges_failed: 0,
			ratings_received: 0,
		}
	}
}

/// How much each component counts in the score.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ComponentWeights {
	pub uptime: u32,
	pub lease_outcomes: u32,
	pub challenges: u32,
	pub ratings: u32,
}

impl<BlockNumber> ScoreRecord<BlockNumber> {
	/// The weighted mean of the components; neutral if every weight is zero.
	pub fn score(&self, weights: ComponentWeights) -> Permill {
		let parts = [
			(self.uptime, weights.uptime),
			(self.lease_outcomes, weights.lease_outcomes),
			(self.challenges, weights.challenges),
			(self.ratings, weights.ratings),
		];
		let total: u64 = parts.iter().map(|(_, w)| u64::from(*w)).sum();
		if total == 0 {
			return NEUTRAL;
		}
		let sum: u64 = parts.iter().map(|(c, w)| u64::from(c.deconstruct()) * u64::from(*w)).sum();
		// The mean of values within Permill is within Permill.
		Permill::from_parts((sum / total) as u32)
	}

	/// Moves every component toward neutral, keeping `keep` of its distance.
	pub fn decay(&mut self, keep: Permill) {
		for component in
			[&mut self.uptime, &mut self.lease_outcomes, &mut self.challenges, &mut self.ratings]
		{
			*component = toward(*component, NEUTRAL, Permill::one().saturating_sub(keep));
		}
	}
}

/// `from` moved `step` of the way to `target`.
pub fn toward(from: Permill, target: Permill, step: Permill) -> Permill {
	if target >= from {
		from.saturating_add(step * target.saturating_sub(from))
	} else {
		from.saturating_sub(step * from.saturating_sub(target))
	}
}
