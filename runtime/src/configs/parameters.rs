//! Market parameters governance changes without a runtime upgrade: `governance.setParameter`
//! on the `market_admin` track (or Root) checks each value against its range below, documented
//! with units, defaults and effects in docs/governance.md.

use frame_support::{
	dynamic_params::{dynamic_pallet_params, dynamic_params},
	traits::{AsEnsureOriginWithArg, Get},
};
use frame_system::EnsureRoot;
use sp_runtime::{Perbill, Permill};

use super::governance::MARKET_ADMIN_LEAD_TIME;
use crate::{AccountId, Balance, BlockNumber, Runtime, RuntimeEvent, DAYS, HOURS, MINUTES, UNITS};

#[dynamic_params(RuntimeParameters, pallet_parameters::Parameters::<Runtime>)]
pub mod dynamic_params {
	use super::*;

	/// What faults cost a provider and who the slash goes to.
	#[dynamic_pallet_params]
	#[codec(index = 0)]
	pub mod provider_staking {
		/// Blocks a slash waits, cancellable by governance, before it lands (3 days: longer than a
		/// `market_admin` referendum takes at the soonest).
		#[codec(index = 0)]
		pub static SlashDeferPeriod: crate::BlockNumber = 3 * crate::DAYS;
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
		/// Blocks between an unbond and its withdrawal (a week).
		#[codec(index = 8)]
		pub static UnbondingPeriod: crate::BlockNumber = 7 * crate::DAYS;
		/// Bond per listed or leased GPU: a hundred hours of an RTX 4090 at its ceiling. A raise
		/// binds new listings, rents and unbonds at once; running leases keep running.
		#[codec(index = 9)]
		pub static MinBondPerGpu: crate::Balance = 100 * crate::UNITS;
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
		/// Held from a provider while it is registered (its record, about 300 bytes).
		#[codec(index = 7)]
		pub static ProviderDeposit: crate::Balance = crate::UNITS;
		/// Held per registered machine (its records here and in attestation, about 1.2 KB).
		#[codec(index = 8)]
		pub static MachineDeposit: crate::Balance = 4 * crate::UNITS;
		/// Held while an order rests in a book (its record, about 1.2 KB).
		#[codec(index = 9)]
		pub static OrderDeposit: crate::Balance = 4 * crate::UNITS;
		/// Held while a job is open (its record with its CID, about 1.5 KB).
		#[codec(index = 10)]
		pub static JobDeposit: crate::Balance = 5 * crate::UNITS;
		/// Held per bid; forfeited by a winning bid that cannot be honoured.
		#[codec(index = 11)]
		pub static BidDeposit: crate::Balance = crate::UNITS;
		/// Paid to the treasury for a job's priority.
		#[codec(index = 12)]
		pub static PriorityFee: crate::Balance = crate::UNITS;
		/// A job's result is due this long after its lease ends.
		#[codec(index = 13)]
		pub static ResultWindow: crate::BlockNumber = crate::HOURS;
		/// A job's submitter may dispute its result this long.
		#[codec(index = 14)]
		pub static JobDisputeWindow: crate::BlockNumber = crate::DAYS;
	}

	/// What leases pay and how spot leases give way.
	#[dynamic_pallet_params]
	#[codec(index = 3)]
	pub mod leases {
		/// The protocol's share of every payment to a provider; a lease pays the fee in force
		/// when it opened.
		#[codec(index = 0)]
		pub static ProtocolFee: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(5);
		/// A spot lease keeps its GPUs this long after a preemption notice.
		#[codec(index = 1)]
		pub static SpotNoticeBlocks: crate::BlockNumber = crate::MINUTES;
	}

	/// How machines are watched, challenged and disputed.
	#[dynamic_pallet_params]
	#[codec(index = 4)]
	pub mod attestation {
		/// A leased machine silent for this many windows in a row, plus one, is reported
		/// offline.
		#[codec(index = 0)]
		pub static OfflineGraceWindows: u32 = 2;
		/// Heartbeats in a row that disagree with the spec before a `SpecMismatch` fault.
		#[codec(index = 1)]
		pub static SpecMismatchHeartbeats: u32 = 3;
		/// Blocks between challenge epochs (10 minutes).
		#[codec(index = 2)]
		pub static ChallengePeriod: crate::BlockNumber = 10 * crate::MINUTES;
		/// Blocks a worker has to commit its answer.
		#[codec(index = 3)]
		pub static CommitWindow: crate::BlockNumber = crate::MINUTES;
		/// Blocks a worker has to reveal the drawn rows after its commit window.
		#[codec(index = 4)]
		pub static RevealWindow: crate::BlockNumber = crate::MINUTES;
		/// The size of a class's challenges where governance set none for it: small enough
		/// for the worker's present GPU solver (and a CPU: a stopgap, not a proof) until the
		/// production sizes are enabled per class (docs/attestation.md).
		#[codec(index = 5)]
		pub static DefaultChallengeSize: gpux_primitives::attestation::ChallengeSize =
			gpux_primitives::attestation::ChallengeSize { rows: 65_536, rounds: 64 };
		/// A renter may dispute a lease this long after it ends.
		#[codec(index = 6)]
		pub static DisputeWindow: crate::BlockNumber = crate::DAYS;
		/// A worker must attest a lease's start within this; then the lease is abandoned.
		#[codec(index = 7)]
		pub static StartAttestationDeadline: crate::BlockNumber = 10 * crate::MINUTES;
		/// What a renter's dispute or fault report holds: back if upheld, to the treasury if
		/// not.
		#[codec(index = 8)]
		pub static DisputeDeposit: crate::Balance = 5 * crate::UNITS;
		/// Blocks per heartbeat window (a minute; 10 s on a dev chain, whose blocks take 1 s).
		/// A new length starts with the next window.
		#[codec(index = 9)]
		pub static HeartbeatInterval: crate::BlockNumber = crate::MINUTES;
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
				Some(4 * crate::DAYS),
			),
		)
	}
}

// Root only: `governance.setParameter` is the range-checked way in, for `market_admin` too.
impl pallet_parameters::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeParameters = RuntimeParameters;
	type AdminOrigin = AsEnsureOriginWithArg<EnsureRoot<AccountId>>;
	type WeightInfo = crate::weights::pallet_parameters::WeightInfo<Runtime>;
}

/// Every parameter's range (docs/governance.md). A value outside is refused with
/// `governance.ParameterOutOfRange`. Removing a value brings back its default, which is in range
/// (`tests::governance::every_default_is_in_range`); the parameters that must fit with another
/// are only ever set, never removed, so the pair is always checked together.
pub struct ParameterRanges;

/// Bounds that keep deposits meaningful: never free, never beyond reach.
const MIN_DEPOSIT: Balance = UNITS / 10;
const MAX_DEPOSIT: Balance = 1_000 * UNITS;

/// Removed (back to the default), or set within `min..=max`.
fn within<T: PartialOrd>(value: &Option<T>, min: T, max: T) -> bool {
	value.as_ref().is_none_or(|v| *v >= min && *v <= max)
}

/// Set within `min..=max`, and fitting its partner by `fits`.
fn paired<T: PartialOrd + Copy>(
	value: &Option<T>,
	min: T,
	max: T,
	fits: impl Fn(T) -> bool,
) -> bool {
	value.is_some_and(|v| v >= min && v <= max && fits(v))
}

/// The shortest heartbeat window in which the sweep still checks every tracked machine.
fn min_interval() -> BlockNumber {
	use super::attestation::{MaxChecksPerBlock, MaxTrackedMachines};
	MaxTrackedMachines::get().div_ceil(MaxChecksPerBlock::get()).max(MINUTES)
}

/// Two shares that together take at most the whole.
fn at_most_whole(a: Perbill, b: Perbill) -> bool {
	u64::from(a.deconstruct()) + u64::from(b.deconstruct())
		<= u64::from(Perbill::one().deconstruct())
}

impl pallet_governance::ParameterRanges<RuntimeParameters> for ParameterRanges {
	fn in_range(key_value: &RuntimeParameters) -> bool {
		use dynamic_params::*;
		let retention = super::leases::ClosedLeaseRetention::get();
		let hashes = super::system::BlockHashCount::get();
		let any_share = |v: &Option<Perbill>| within(v, Perbill::zero(), Perbill::one());
		match key_value {
			RuntimeParameters::ProviderStaking(p) => {
				use provider_staking::{Parameters as P, *};
				match p {
					// A slash waits long enough for a `market_admin` referendum to cancel it, and
					// lands before its provider can take its bond away.
					P::SlashDeferPeriod(_, v) => {
						paired(v, MARKET_ADMIN_LEAD_TIME + HOURS, 28 * DAYS, |v| {
							v < UnbondingPeriod::get()
						})
					},
					P::UnbondingPeriod(_, v) => {
						paired(v, DAYS, 28 * DAYS, |v| v > SlashDeferPeriod::get())
					},
					P::MinBondPerGpu(_, v) => within(v, UNITS, 100_000 * UNITS),
					P::OfflineSlash(_, v)
					| P::FailedChallengeSlash(_, v)
					| P::SpecMismatchSlash(_, v)
					| P::LeaseAbandonedSlash(_, v)
					| P::DisputedSlash(_, v) => any_share(v),
					// Renters and reporter together take at most the whole slash.
					P::RenterShare(_, v) => paired(v, Perbill::zero(), Perbill::one(), |v| {
						at_most_whole(v, ReporterShare::get())
					}),
					P::ReporterShare(_, v) => paired(v, Perbill::zero(), Perbill::one(), |v| {
						at_most_whole(RenterShare::get(), v)
					}),
				}
			},
			RuntimeParameters::Marketplace(p) => {
				use marketplace::{Parameters as P, *};
				match p {
					P::MfpBand(_, v) => within(v, Permill::zero(), Permill::from_percent(100)),
					P::PriceSmoothing(_, v) => {
						within(v, Permill::zero(), Permill::from_percent(50))
					},
					P::FullWeightLeaseValue(_, v) => within(v, UNITS / 100, 10_000 * UNITS),
					P::SpotTargetUtilization(_, v) => {
						within(v, Permill::from_percent(10), Permill::from_percent(95))
					},
					P::SpotStep(_, v) => {
						within(v, Permill::from_percent(1), Permill::from_percent(50))
					},
					P::SpotEpochBlocks(_, v) => within(v, MINUTES, DAYS),
					P::SpotFloorShare(_, v) => {
						within(v, Permill::zero(), Permill::from_percent(100))
					},
					P::ProviderDeposit(_, v)
					| P::MachineDeposit(_, v)
					| P::OrderDeposit(_, v)
					| P::JobDeposit(_, v)
					| P::BidDeposit(_, v) => within(v, MIN_DEPOSIT, MAX_DEPOSIT),
					P::PriorityFee(_, v) => within(v, 0, MAX_DEPOSIT),
					// A job's lease is kept until its result is decided: both windows fit in the
					// closed-lease retention.
					P::ResultWindow(_, v) => paired(v, MINUTES, DAYS, |v| {
						v.saturating_add(JobDisputeWindow::get()) <= retention
					}),
					P::JobDisputeWindow(_, v) => paired(v, HOURS, 2 * DAYS, |v| {
						ResultWindow::get().saturating_add(v) <= retention
					}),
				}
			},
			RuntimeParameters::Leases(p) => {
				use leases::Parameters as P;
				match p {
					P::ProtocolFee(_, v) => within(v, Perbill::zero(), Perbill::from_percent(20)),
					P::SpotNoticeBlocks(_, v) => within(v, 1, HOURS),
				}
			},
			RuntimeParameters::Attestation(p) => {
				use attestation::{Parameters as P, *};
				// A challenge is committed and revealed within its epoch, while the commit
				// block's hash is still known.
				// The row draw (`ROW_DRAW_BLOCKS`) follows the commit deadline, and verifiers need
				// `VERDICT_BLOCKS` after the reveal deadline, within the epoch.
				// (Classes' own commit windows are cut to fit at each issue.)
				let fit = |period: BlockNumber, commit: BlockNumber, reveal: BlockNumber| {
					let both = commit.saturating_add(reveal);
					both.saturating_add(pallet_attestation::VERDICT_BLOCKS)
						.saturating_add(pallet_attestation::ROW_DRAW_BLOCKS)
						<= period && both < hashes
				};
				match p {
					P::OfflineGraceWindows(_, v) => within(v, 1, 10),
					P::SpecMismatchHeartbeats(_, v) => within(v, 1, 10),
					P::ChallengePeriod(_, v) => paired(v, MINUTES, DAYS, |v| {
						fit(v, CommitWindow::get(), RevealWindow::get())
					}),
					P::CommitWindow(_, v) => {
						paired(v, 1, HOURS, |v| fit(ChallengePeriod::get(), v, RevealWindow::get()))
					},
					P::RevealWindow(_, v) => {
						paired(v, 2, HOURS, |v| fit(ChallengePeriod::get(), CommitWindow::get(), v))
					},
					P::DefaultChallengeSize(_, v) => v.as_ref().is_none_or(|size| size.is_valid()),
					// A pruned lease can no longer be disputed.
					P::DisputeWindow(_, v) => within(v, HOURS, retention),
					P::StartAttestationDeadline(_, v) => within(v, MINUTES, HOURS),
					// The sweep checks every tracked machine within one window.
					P::HeartbeatInterval(_, v) => within(v, min_interval(), HOURS),
					P::DisputeDeposit(_, v) => within(v, MIN_DEPOSIT, MAX_DEPOSIT),
				}
			},
			RuntimeParameters::Reputation(p) => {
				use reputation::Parameters as P;
				match p {
					P::UptimeWeight(_, v)
					| P::LeaseOutcomeWeight(_, v)
					| P::ChallengeWeight(_, v)
					| P::RatingWeight(_, v) => within(v, 0, 100),
					P::Smoothing(_, v) => {
						within(v, Permill::from_percent(1), Permill::from_percent(50))
					},
					P::FullWeightValue(_, v) => within(v, UNITS / 100, 10_000 * UNITS),
					P::DecayPeriod(_, v) => within(v, HOURS, 28 * DAYS),
					P::DecayRate(_, v) => within(v, Permill::zero(), Permill::from_percent(100)),
				}
			},
		}
	}
}
