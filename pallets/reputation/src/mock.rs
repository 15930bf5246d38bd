//! A runtime with System and reputation; tests feed inputs through `ReputationFeed` as the
//! leases, staking and attestation pallets would.

use frame_support::{derive_impl, parameter_types};
use gpux_primitives::Balance;
use sp_runtime::{BuildStorage, Permill};

use crate as pallet_reputation;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Reputation: pallet_reputation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

pub const PROVIDER: u64 = 1;
pub const OTHER_PROVIDER: u64 = 2;
pub const FULL_VALUE: Balance = 1_000;

parameter_types! {
	pub static UptimeWeight: u32 = 1;
	pub static LeaseOutcomeWeight: u32 = 1;
	pub static ChallengeWeight: u32 = 1;
	pub static RatingWeight: u32 = 1;
	pub const Smoothing: Permill = Permill::from_percent(10);
	pub const FullWeightValue: Balance = FULL_VALUE;
	pub const DecayPeriod: u64 = 100;
	pub const DecayRate: Permill = Permill::from_percent(50);
}

impl pallet_reputation::Config for Test {
	type UptimeWeight = UptimeWeight;
	type LeaseOutcomeWeight = LeaseOutcomeWeight;
	type ChallengeWeight = ChallengeWeight;
	type RatingWeight = RatingWeight;
	type Smoothing = Smoothing;
	type FullWeightValue = FullWeightValue;
	type DecayPeriod = DecayPeriod;
	type DecayRate = DecayRate;
}

/// Runs `test` at block 1, then checks the pallet's invariants on what it left.
pub fn build_and_execute(test: impl FnOnce()) {
	let storage = RuntimeGenesisConfig::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Reputation::do_try_state().expect("reputation invariants hold");
	});
}
