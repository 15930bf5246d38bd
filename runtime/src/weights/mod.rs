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
pub use extrinsic_weights::ExtrinsicBaseWeight;
pub use paritydb_weights::constants::ParityDbWeight;
