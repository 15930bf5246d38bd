//! Each pallet's `Config`, one file per pallet (or per closely tied group).

pub mod attestation;
mod balances;
mod consensus;
pub mod governance;
mod leases;
mod marketplace;
pub mod parameters;
mod provider_staking;
mod reputation;
mod sudo;
mod system;
mod transaction_payment;
mod treasury;
mod utility;

pub use leases::TreasuryAccount;
pub use parameters::dynamic_params::{
	attestation::{ChallengePeriod, HeartbeatInterval},
	leases::ProtocolFee,
	provider_staking::MinBondPerGpu,
};
pub use parameters::{dynamic_params, RuntimeParameters, RuntimeParametersKey};
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
