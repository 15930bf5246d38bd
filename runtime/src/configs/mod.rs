//! Each pallet's `Config`, one file per pallet (or per closely tied group).

mod balances;
mod consensus;
mod leases;
mod marketplace;
mod sudo;
mod system;
mod transaction_payment;

pub use leases::TreasuryAccount;
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
