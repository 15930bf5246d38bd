//! OpenGov: the scheduler and preimages it enacts through, referenda on three tracks, conviction
//! voting, and `pallet-governance`'s track origins and range-checked parameters. Periods and
//! curves are explained for token holders in docs/governance.md.

use alloc::borrow::Cow;
use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration, tokens::currency::ActiveIssuanceOf, AsEnsureOriginWithArg,
		EitherOf, EqualPrivilegeOnly, Get, LinearStoragePrice,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureSigned};
use pallet_governance::TrackTiming;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::Perbill;

pub use pallet_governance::{EnsureMarketAdmin, EnsureTreasurer};

use crate::{
	AccountId, Balance, Balances, BlockNumber, Governance, OriginCaller, Preimage, Referenda,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System,
	Treasury, DAYS, HOURS, MILLI_UNITS, MINUTES, UNITS,
};

/// The origin of every governance-only call of the market pallets: sudo on a dev chain, a
/// `market_admin` referendum (or a `root` one) on a real network.
pub type MarketAdminOrRoot = EitherOf<EnsureRoot<AccountId>, EnsureMarketAdmin>;

/// `Live`'s value on real networks, `Fast`'s on dev and test chains (genesis sets which).
pub struct ByTiming<Live, Fast>(core::marker::PhantomData<(Live, Fast)>);

impl<V, Live: Get<V>, Fast: Get<V>> Get<V> for ByTiming<Live, Fast> {
	fn get() -> V {
		match Governance::timing() {
			TrackTiming::Live => Live::get(),
			TrackTiming::Fast => Fast::get(),
		}
	}
}

parameter_types! {
	pub MaximumSchedulerWeight: Weight =
		Perbill::from_percent(80) * super::RuntimeBlockWeights::get().max_block;
	/// A preimage holds 1 GPUX plus 3 GPUX a kilobyte, like the market's records; a runtime
	/// (about 1.5 MB) therefore about 4,500 GPUX, back when it is unnoted.
	pub const PreimageBaseDeposit: Balance = UNITS;
	pub const PreimageByteDeposit: Balance = 3 * MILLI_UNITS;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
	/// Held from a proposal's submitter until it is decided (kept if it is killed).
	pub const SubmissionDeposit: Balance = 10 * UNITS;
	pub const LiveUndecidingTimeout: BlockNumber = 14 * DAYS;
	pub const FastUndecidingTimeout: BlockNumber = 50;
	/// How long one conviction multiple locks a vote's balance after its referendum ends.
	pub const LiveVoteLockingPeriod: BlockNumber = 7 * DAYS;
	pub const FastVoteLockingPeriod: BlockNumber = 10;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	// Only referenda schedule (through their own trait, not this origin).
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = frame_support::traits::ConstU32<50>;
	type WeightInfo = crate::weights::pallet_scheduler::WeightInfo<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = crate::weights::pallet_preimage::WeightInfo<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = crate::weights::pallet_referenda::WeightInfo<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	// Any account may propose on any track; the decision deposit is what gates it.
	type SubmitOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	// A killed referendum's deposits go to the treasury.
	type Slash = Treasury;
	type Votes = Balance;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = frame_support::traits::ConstU32<100>;
	type UndecidingTimeout = ByTiming<LiveUndecidingTimeout, FastUndecidingTimeout>;
	type AlarmInterval = frame_support::traits::ConstU32<1>;
	type Tracks = Tracks;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = crate::weights::pallet_conviction_voting::WeightInfo<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	type MaxTurnout = ActiveIssuanceOf<Balances, AccountId>;
	type MaxVotes = frame_support::traits::ConstU32<512>;
	type VoteLockingPeriod = ByTiming<LiveVoteLockingPeriod, FastVoteLockingPeriod>;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

impl pallet_governance::Config for Runtime {
	type ParameterOrigin = AsEnsureOriginWithArg<MarketAdminOrRoot>;
	type ParameterRanges = super::parameters::ParameterRanges;
	type WeightInfo = pallet_governance::weights::SubstrateWeight<Runtime>;
}

/// Track ids, in the order the table lists them.
pub const ROOT_TRACK: u16 = 0;
pub const MARKET_ADMIN_TRACK: u16 = 1;
pub const TREASURER_TRACK: u16 = 2;

const fn name(s: &str) -> [u8; 25] {
	let bytes = s.as_bytes();
	let mut out = [0u8; 25];
	let mut i = 0;
	while i < bytes.len() {
		out[i] = bytes[i];
		i += 1;
	}
	out
}

const fn linear(ceil: u32, floor: u32, length: u32) -> Curve {
	Curve::LinearDecreasing {
		length: Perbill::from_percent(length),
		floor: Perbill::from_percent(floor),
		ceil: Perbill::from_percent(ceil),
	}
}

/// Approval on every track: all ayes at first, a simple majority from half the decision period.
const APPROVAL: Curve = linear(100, 50, 50);

#[derive(Clone, Copy)]
struct Periods {
	prepare: BlockNumber,
	decision: BlockNumber,
	confirm: BlockNumber,
	enactment: BlockNumber,
}

const fn track(
	id: u16,
	track_name: &str,
	max_deciding: u32,
	decision_deposit: Balance,
	p: Periods,
	min_support: Curve,
) -> Track<u16, Balance, BlockNumber> {
	Track {
		id,
		info: TrackInfo {
			name: name(track_name),
			max_deciding,
			decision_deposit,
			prepare_period: p.prepare,
			decision_period: p.decision,
			confirm_period: p.confirm,
			min_enactment_period: p.enactment,
			min_approval: APPROVAL,
			min_support,
		},
	}
}

const ROOT_SUPPORT: Curve = linear(50, 5, 100);
const MARKET_ADMIN_SUPPORT: Curve = linear(20, 2, 100);
const TREASURER_SUPPORT: Curve = linear(25, 2, 100);

/// A real network's `market_admin` periods. A `root` referendum (to cancel one) is enacted in
/// 2 hours + 1 day + 10 minutes at the soonest, before a `market_admin` one submitted at the
/// same time (1 hour + 1 day + 1 day).
const LIVE_MARKET_ADMIN: Periods =
	Periods { prepare: HOURS, decision: 3 * DAYS, confirm: DAYS, enactment: DAYS };

/// The soonest a `market_admin` referendum can be enacted after its submission on a real
/// network: what a deferred slash must wait at least, so governance can cancel it.
pub const MARKET_ADMIN_LEAD_TIME: BlockNumber =
	LIVE_MARKET_ADMIN.prepare + LIVE_MARKET_ADMIN.confirm + LIVE_MARKET_ADMIN.enactment;

/// Periods for a real network (6 s blocks).
static LIVE_TRACKS: [Track<u16, Balance, BlockNumber>; 3] = [
	track(
		ROOT_TRACK,
		"root",
		10,
		10_000 * UNITS,
		Periods { prepare: 2 * HOURS, decision: 14 * DAYS, confirm: DAYS, enactment: 10 * MINUTES },
		ROOT_SUPPORT,
	),
	track(
		MARKET_ADMIN_TRACK,
		"market_admin",
		10,
		1_000 * UNITS,
		LIVE_MARKET_ADMIN,
		MARKET_ADMIN_SUPPORT,
	),
	track(
		TREASURER_TRACK,
		"treasurer",
		10,
		2_000 * UNITS,
		Periods { prepare: 2 * HOURS, decision: 7 * DAYS, confirm: DAYS, enactment: DAYS },
		TREASURER_SUPPORT,
	),
];

/// Periods of a few blocks for dev and test chains: a referendum passes in under a minute on a
/// dev chain, in a few minutes on the local network.
static FAST_TRACKS: [Track<u16, Balance, BlockNumber>; 3] = [
	track(
		ROOT_TRACK,
		"root",
		10,
		10_000 * UNITS,
		Periods { prepare: 1, decision: 40, confirm: 2, enactment: 1 },
		ROOT_SUPPORT,
	),
	track(
		MARKET_ADMIN_TRACK,
		"market_admin",
		10,
		1_000 * UNITS,
		Periods { prepare: 1, decision: 20, confirm: 2, enactment: 1 },
		MARKET_ADMIN_SUPPORT,
	),
	track(
		TREASURER_TRACK,
		"treasurer",
		10,
		2_000 * UNITS,
		Periods { prepare: 1, decision: 20, confirm: 2, enactment: 1 },
		TREASURER_SUPPORT,
	),
];

/// The three tracks, with the periods of the chain's `governance.timing`.
pub struct Tracks;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for Tracks {
	type Id = u16;
	type RuntimeOrigin = OriginCaller;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<u16, Balance, BlockNumber>>> {
		let table = match Governance::timing() {
			TrackTiming::Live => &LIVE_TRACKS,
			TrackTiming::Fast => &FAST_TRACKS,
		};
		table.iter().map(Cow::Borrowed)
	}

	fn track_for(origin: &OriginCaller) -> Result<u16, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(ROOT_TRACK),
			OriginCaller::Governance(pallet_governance::Origin::MarketAdmin) => {
				Ok(MARKET_ADMIN_TRACK)
			},
			OriginCaller::Governance(pallet_governance::Origin::Treasurer) => Ok(TREASURER_TRACK),
			_ => Err(()),
		}
	}
}
