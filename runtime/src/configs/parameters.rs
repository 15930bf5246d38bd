//! Market parameters governance can change without a runtime upgrade (`parameters.setParameter`,
//! Root until the governance issue adds the `market_admin` track).

use frame_support::{
	dynamic_params::{dynamic_pallet_params, dynamic_params},
	traits::AsEnsureOriginWithArg,
};
use frame_system::EnsureRoot;

use crate::{AccountId, Runtime, RuntimeEvent};

#[dynamic_params(RuntimeParameters, pallet_parameters::Parameters::<Runtime>)]
pub mod dynamic_params {
	use super::*;

	/// What faults cost a provider and who the slash goes to.
	#[dynamic_pallet_params]
	#[codec(index = 0)]
	pub mod provider_staking {
		/// Blocks a slash waits, cancellable by governance, before it lands.
		#[codec(index = 0)]
		pub static SlashDeferPeriod: crate::BlockNumber = crate::DAYS;
		/// Share of a machine's bond slashed when it is offline.
		#[codec(index = 1)]
		pub static OfflineSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(10);
		/// Share slashed for a failed or missed proof-of-GPU challenge.
		#[codec(index = 2)]
		pub static FailedChallengeSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(5);
		/// Share slashed when a machine is not the hardware it claims.
		#[codec(index = 3)]
		pub static SpecMismatchSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);
		/// Share slashed for abandoning a paid lease.
		#[codec(index = 4)]
		pub static LeaseAbandonedSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(20);
		/// Share slashed when governance upholds a renter's dispute of a lease.
		#[codec(index = 7)]
		pub static DisputedSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(10);
		/// Share of a slash paid to the renters whose leases the fault closed.
		#[codec(index = 5)]
		pub static RenterShare: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);
		/// Share of a slash paid to its reporter.
		#[codec(index = 6)]
		pub static ReporterShare: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(10);
	}

	/// How the Maximum Fair Price follows the market.
	#[dynamic_pallet_params]
	#[codec(index = 2)]
	pub mod marketplace {
		/// A class's MFP lies this far above its reference price (never above its ceiling).
		#[codec(index = 0)]
		pub static MfpBand: sp_runtime::Permill = sp_runtime::Permill::from_percent(20);
		/// How far one lease worth `FullWeightLeaseValue` moves its class's reference price
		/// toward its own price (clamped to the MFP).
		#[codec(index = 1)]
		pub static PriceSmoothing: sp_runtime::Permill = sp_runtime::Permill::from_percent(5);
		/// A lease that paid this (10 GPUX) moves the reference a full step; less, proportionally
		/// less.
		#[codec(index = 2)]
		pub static FullWeightLeaseValue: crate::Balance = 10 * crate::UNITS;
		/// The utilization each class's spot price aims for.
		#[codec(index = 3)]
		pub static SpotTargetUtilization: sp_runtime::Permill =
			sp_runtime::Permill::from_percent(70);
		/// Most one spot epoch moves a spot price, up or down.
		#[codec(index = 4)]
		pub static SpotStep: sp_runtime::Permill = sp_runtime::Permill::from_parts(125_000);
		/// Blocks between spot price moves (an hour).
		#[codec(index = 5)]
		pub static SpotEpochBlocks: crate::BlockNumber = crate::HOURS;
		/// The lowest a spot price goes, as a share of its class's reference price.
		#[codec(index = 6)]
		pub static SpotFloorShare: sp_runtime::Permill = sp_runtime::Permill::from_percent(25);
	}

	/// How reputation mixes and moves.
	#[dynamic_pallet_params]
	#[codec(index = 1)]
	pub mod reputation {
		#[codec(index = 0)]
		pub static UptimeWeight: u32 = 3;
		#[codec(index = 1)]
		pub static LeaseOutcomeWeight: u32 = 3;
		#[codec(index = 2)]
		pub static ChallengeWeight: u32 = 2;
		#[codec(index = 3)]
		pub static RatingWeight: u32 = 2;
		/// How far one input moves its component.
		#[codec(index = 4)]
		pub static Smoothing: sp_runtime::Permill = sp_runtime::Permill::from_percent(10);
		/// A lease paying this much (10 RTX 4090 hours at the ceiling) moves a full step.
		#[codec(index = 5)]
		pub static FullWeightValue: crate::Balance = 10 * crate::UNITS;
		#[codec(index = 6)]
		pub static DecayPeriod: crate::BlockNumber = crate::DAYS;
		#[codec(index = 7)]
		pub static DecayRate: sp_runtime::Permill = sp_runtime::Permill::from_percent(10);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl Default for RuntimeParameters {
	fn default() -> Self {
		RuntimeParameters::ProviderStaking(
			dynamic_params::provider_staking::Parameters::SlashDeferPeriod(
				dynamic_params::provider_staking::SlashDeferPeriod,
				Some(crate::HOURS),
			),
		)
	}
}

impl pallet_parameters::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeParameters = RuntimeParameters;
	type AdminOrigin = AsEnsureOriginWithArg<EnsureRoot<AccountId>>;
	type WeightInfo = ();
}
