use frame_support::{
	parameter_types,
	traits::{
		tokens::{
			pay::{Pay, PayFromAccount, PaymentStatus},
			UnityAssetBalanceConversion,
		},
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

/// Pays approved spends from the pot's account.
pub struct TreasuryPaymaster;

type PotPayment = PayFromAccount<Balances, TreasuryAccount>;

impl Pay for TreasuryPaymaster {
	type Balance = Balance;
	type Beneficiary = AccountId;
	type AssetKind = ();
	type Id = ();
	type Error = sp_runtime::DispatchError;

	fn pay(who: &AccountId, asset_kind: (), amount: Balance) -> Result<(), Self::Error> {
		PotPayment::pay(who, asset_kind, amount)
	}

	fn check_payment(id: ()) -> PaymentStatus {
		PotPayment::check_payment(id)
	}

	/// Also gives the beneficiary its existential deposit: the treasury's benchmarks pay 100
	/// plancks, which a new account could not receive on this chain.
	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_successful(who: &AccountId, asset_kind: (), amount: Balance) {
		use frame_support::traits::{fungible::Mutate, Currency};
		let _ = Balances::mint_into(who, Balances::minimum_balance());
		PotPayment::ensure_successful(who, asset_kind, amount);
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_concluded(id: ()) {
		PotPayment::ensure_concluded(id)
	}
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
	type Paymaster = TreasuryPaymaster;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}
