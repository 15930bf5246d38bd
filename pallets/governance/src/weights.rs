//! Weights of `pallet-governance`.
//!
//! Hand-estimated like the market pallets' (20 µs of compute per access) until
//! `gpux-node benchmark pallet --pallet pallet_governance` runs on reference hardware; the
//! benchmark in `benchmarking.rs` already runs as a test.

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet-governance`.
pub trait WeightInfo {
	fn set_parameter() -> Weight;
}

const ACCESS: u64 = 20_000_000;
/// A parameter's key and value, bytes.
const PARAMETER_PROOF: u64 = 100;

/// Up to three parameters read for the range check (two that must fit together), one written,
/// one event.
fn set_parameter(db: frame_support::weights::RuntimeDbWeight) -> Weight {
	Weight::from_parts(6 * ACCESS, 4 * PARAMETER_PROOF).saturating_add(db.reads_writes(4, 1))
}

/// Weights for a runtime: its own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_parameter() -> Weight {
		set_parameter(T::DbWeight::get())
	}
}

/// Weights for tests, with ParityDB's database weights.
impl WeightInfo for () {
	fn set_parameter() -> Weight {
		set_parameter(ParityDbWeight::get())
	}
}
