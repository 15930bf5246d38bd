#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod access;
pub mod attestation;
pub mod challenge;
pub mod cid;
pub mod market;
pub mod storage;
pub mod traits;

pub use attestation::{ChallengeId, VerifierId, VerifierSignature, GPUX_KEY_TYPE};
pub use cid::{is_valid_cid, Cid, MAX_CID_LEN};
pub use market::*;
pub use traits::*;

use sp_core::H256;
use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// Block height.
pub type BlockNumber = u32;
/// Transaction signature: sr25519, ed25519 or ecdsa, as wallets choose.
pub type Signature = MultiSignature;
/// An account is the public key of its signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// An amount of GPUX in its smallest unit (10^-12 GPUX).
pub type Balance = u128;
/// Count of transactions an account has sent.
pub type Nonce = u32;
/// Block and state hashes.
pub type Hash = H256;

/// The SS58 address prefix of GPUX chain. Not yet in the SS58 registry: register it before
/// a public network launches.
pub const SS58_PREFIX: u16 = 4090;

/// The native token GPUX and its units.
pub mod currency {
	use super::Balance;

	/// The ticker wallets show.
	pub const TOKEN_SYMBOL: &str = "GPUX";
	/// Decimal places of one GPUX.
	pub const TOKEN_DECIMALS: u8 = 12;
	/// One GPUX.
	pub const UNITS: Balance = 1_000_000_000_000;
	/// 0.001 GPUX.
	pub const MILLI_UNITS: Balance = UNITS / 1_000;
	/// 0.000001 GPUX.
	pub const MICRO_UNITS: Balance = MILLI_UNITS / 1_000;
	/// Below this an account is reaped; keeps dust accounts from bloating state.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNITS;
	// A zero deposit would let anyone fill state with empty accounts.
	const _: () = assert!(EXISTENTIAL_DEPOSIT > 0);
}

/// Time, counted in blocks.
pub mod time {
	use super::BlockNumber;

	/// Target block time. Prices are per GPU-hour, so this fixes what an hour is on chain.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6_000;
	/// Aura slot length; one block per slot.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
	/// Blocks in a minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// Blocks in an hour: the denominator of every per-GPU-hour price.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks in a day.
	pub const DAYS: BlockNumber = HOURS * 24;
	/// Blocks per hour, the name the pricing formulas use.
	pub const BLOCKS_PER_HOUR: BlockNumber = HOURS;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn an_hour_is_600_six_second_blocks() {
		assert_eq!(time::BLOCKS_PER_HOUR, 600);
		assert_eq!(time::DAYS, 14_400);
	}

	#[test]
	fn one_gpux_has_twelve_decimals() {
		assert_eq!(currency::UNITS, 10u128.pow(currency::TOKEN_DECIMALS as u32));
	}
}
