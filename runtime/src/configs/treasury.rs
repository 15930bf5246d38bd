use frame_support::{
	parameter_types,
	traits::{
		tokens::{pay::PayFromAccount, UnityAssetBalanceConversion},
		EitherOf,
	},
};
use frame_system::{EnsureRootWithSuccess, EnsureWithSuccess};
use sp_runtime::{traits::IdentityLookup, Permill};

use super::{governance::EnsureTreasurer, leases::TreasuryPalletId, TreasuryAccount};
use crate::{
	AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeEvent, System, DAYS, UNITS,
};

parameter_types! {
	/// Most one `treasurer` referendum may spend; Root may spend the whole pot.
	pub const MaxTreasurerSpend: Balance = 100_000 * UNITS;
	pub const MaxRootSpend: Balance = Balance::MAX;
	pub const SpendPeriod: BlockNumber = DAYS;
	/// An approved spend may be paid out for 30 days.
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	/// Nothing is burned: what the market earns stays for governance to spend.
	pub const Burn: Permill = Permill::zero();
}

/// Root, or a `treasurer` referendum up to `MaxTreasurerSpend`.
pub type TreasurySpender = EitherOf<
	EnsureRootWithSuccess<AccountId, MaxRootSpend>,
	EnsureWithSuccess<EnsureTreasurer, AccountId, MaxTreasurerSpend>,
>;

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EitherOf<frame_system::EnsureRoot<AccountId>, EnsureTreasurer>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = Burn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = crate::weights::pallet_treasury::WeightInfo<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = frame_support::traits::ConstU32<100>;
	type SpendOrigin = TreasurySpender;
	// The native token only: spends are paid from the pot's account.
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
	type BlockNumberProvider = System;
}

/// Beneficiaries for the treasury's benchmarks, given their existential deposit: the benchmarks
/// pay them 100 plancks, which a new account could not receive on this chain.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_treasury::ArgumentsFactory<(), AccountId> for BenchmarkHelper {
	fn create_asset_kind(_seed: u32) {}

	fn create_beneficiary(seed: [u8; 32]) -> AccountId {
		use frame_support::traits::{fungible::Mutate, Currency};
		let who = AccountId::from(seed);
		let _ = Balances::mint_into(&who, Balances::minimum_balance());
		who
	}
}
