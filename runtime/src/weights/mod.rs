//! The weights of the FRAME pallets this runtime configures, of a block's and an extrinsic's base,
//! and of ParityDB's reads and writes, as `scripts/benchmark.sh` measured them on the build
//! machine (docs/weights.md). Our pallets' weights are in their own crates.
//!
//! `pallet_aura` has no calls and `pallet_grandpa` none this runtime can weigh (docs/weights.md):
//! both keep their pallets' defaults.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_conviction_voting;
pub mod pallet_parameters;
pub mod pallet_preimage;
pub mod pallet_referenda;
pub mod pallet_scheduler;
pub mod pallet_sudo;
pub mod pallet_timestamp;
pub mod pallet_transaction_payment;
pub mod pallet_treasury;
pub mod pallet_utility;
// The CLI's template documents the struct's fields inside an expression.
#[allow(unused_doc_comments)]
pub mod paritydb_weights;

pub use block_weights::BlockExecutionWeight;
pub use paritydb_weights::constants::ParityDbWeight;

use ::frame_system::ExtensionsWeightInfo;
use frame_support::{
	traits::Get,
	weights::{RuntimeDbWeight, Weight},
};

use crate::Runtime;

/// An extrinsic's base weight, with what its transaction extensions charge on their own taken
/// out. `benchmark overhead` (`extrinsic_weights`) times a whole signed `System::remark`, its
/// extensions included, and every extension also charges its own benchmarked weight: counted
/// twice otherwise (polkadot-sdk#9981). The overhead ran them on a warm cache, so their compute
/// is taken out, not their storage accesses; `benchmark block` on loaded blocks checks the
/// result (docs/weights.md).
pub struct ExtrinsicBaseWeight;
impl Get<Weight> for ExtrinsicBaseWeight {
	fn get() -> Weight {
		extrinsic_weights::ExtrinsicBaseWeight::get().saturating_sub(extensions_compute())
	}
}

/// The compute that a signed extrinsic's own extension weights charge and the overhead also
/// measured: their weights less the storage accesses those benchmarks list. As the overhead
/// signs them: immortal. `CheckWeight` and `WeightReclaim` stay in the base: they also run for
/// unsigned extrinsics, which carry no extension weight (`ExtrinsicFormat::Bare`), and the base
/// is every extrinsic's.
fn extensions_compute() -> Weight {
	type System = frame_system_extensions::WeightInfo<Runtime>;
	type Payment = pallet_transaction_payment::WeightInfo<Runtime>;
	use ::pallet_transaction_payment::WeightInfo as _;
	let weights = [
		System::check_non_zero_sender(),
		System::check_spec_version(),
		System::check_tx_version(),
		System::check_genesis(),
		System::check_mortality_immortal_transaction(),
		System::check_nonce(),
		Payment::charge_transaction_payment(),
	];
	let total = weights.into_iter().fold(Weight::zero(), Weight::saturating_add);
	// `check_nonce`: the sender's account (r:1 w:1); `charge_transaction_payment`: it and the
	// fee's destination (r:2 w:2).
	let db: RuntimeDbWeight = ParityDbWeight::get();
	total.saturating_sub(db.reads_writes(3, 3))
}
