//! Each pallet's `Config`, one file per pallet (or per closely tied group).

mod attestation;
mod balances;
mod consensus;
mod leases;
mod marketplace;
pub mod parameters;
mod provider_staking;
mod reputation;
mod sudo;
mod system;
mod transaction_payment;

pub use attestation::{ChallengePeriod, HeartbeatInterval};
pub use leases::{ProtocolFee, TreasuryAccount};
pub use parameters::{dynamic_params, RuntimeParameters, RuntimeParametersKey};
pub use provider_staking::MinBondPerGpu;
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
