use super::parameters::dynamic_params::reputation;
use crate::Runtime;

impl pallet_reputation::Config for Runtime {
	type UptimeWeight = reputation::UptimeWeight;
	type LeaseOutcomeWeight = reputation::LeaseOutcomeWeight;
	type ChallengeWeight = reputation::ChallengeWeight;
	type RatingWeight = reputation::RatingWeight;
	type Smoothing = reputation::Smoothing;
	type FullWeightValue = reputation::FullWeightValue;
	type DecayPeriod = reputation::DecayPeriod;
	type DecayRate = reputation::DecayRate;
}
