use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU8},
	weights::{ConstantMultiplier, IdentityFee},
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::traits::One;

use super::TreasuryAccount;
use crate::{Balance, Balances, Runtime, RuntimeEvent, MILLI_UNITS};

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
	/// Each byte of an extrinsic costs a millionth of a GPUX.
	pub const TransactionByteFee: Balance = MILLI_UNITS / 1_000;
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees and tips go to the treasury: a solochain's validators are paid by governance, not
	// by the blocks they author.
	type OnChargeTransaction = FungibleAdapter<Balances, ResolveTo<TreasuryAccount, Balances>>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = crate::weights::pallet_transaction_payment::WeightInfo<Runtime>;
}
