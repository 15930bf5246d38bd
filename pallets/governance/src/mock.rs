//! A runtime with two range-checked parameters.

use frame_support::{
	construct_runtime, derive_impl,
	dynamic_params::{dynamic_pallet_params, dynamic_params},
	traits::{AsEnsureOriginWithArg, EitherOf, Get},
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Perbill};

use crate as pallet_governance;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Parameters: pallet_parameters,
		Governance: pallet_governance,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[dynamic_params(RuntimeParameters, pallet_parameters::Parameters::<Test>)]
pub mod dynamic_params {
	use super::*;

	#[dynamic_pallet_params]
	#[codec(index = 0)]
	pub mod market {
		/// 1..=20 %.
		#[codec(index = 0)]
		pub static Fee: Perbill = Perbill::from_percent(5);
		/// At least 2, and below `Period`.
		#[codec(index = 1)]
		pub static Window: u64 = 10;
		#[codec(index = 2)]
		pub static Period: u64 = 100;
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl Default for RuntimeParameters {
	fn default() -> Self {
		RuntimeParameters::Market(dynamic_params::market::Parameters::Window(
			dynamic_params::market::Window,
			Some(20),
		))
	}
}

impl pallet_parameters::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeParameters = RuntimeParameters;
	type AdminOrigin = AsEnsureOriginWithArg<EnsureRoot<u64>>;
	type WeightInfo = ();
}

/// The ranges above; `Window` and `Period` must fit together.
pub struct Ranges;

impl crate::ParameterRanges<RuntimeParameters> for Ranges {
	fn in_range(key_value: &RuntimeParameters) -> bool {
		use dynamic_params::market::{Parameters as P, *};
		let RuntimeParameters::Market(p) = key_value;
		match p {
			P::Fee(_, None) | P::Window(_, None) | P::Period(_, None) => true,
			P::Fee(_, Some(fee)) => {
				(Perbill::from_percent(1)..=Perbill::from_percent(20)).contains(fee)
			},
			P::Window(_, Some(window)) => *window >= 2 && *window < Period::get(),
			P::Period(_, Some(period)) => *period > Window::get(),
		}
	}
}

impl crate::Config for Test {
	type ParameterOrigin =
		AsEnsureOriginWithArg<EitherOf<EnsureRoot<u64>, crate::EnsureMarketAdmin>>;
	type ParameterRanges = Ranges;
	type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		governance: crate::GenesisConfig { timing: crate::TrackTiming::Fast, ..Default::default() },
		..Default::default()
	}
	.build_storage()
	.expect("genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
