use frame_support::traits::{fungible::hold::DoneSlash, ConstU128, ConstU32, VariantCountOf};
use sp_runtime::traits::Zero;

use crate::{
	AccountId, Balance, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, System,
	EXISTENTIAL_DEPOSIT,
};

/// A slash of held funds (a provider's bond, a renter's deposit) is deposited as
/// `Balances.Slashed`, as a slash of free funds is: pallet-balances emits no event for it, and
/// wallets, indexers and the money audit (docs/RELIABILITY.md) must see every balance change.
pub struct SlashedHeldEvent;

impl DoneSlash<RuntimeHoldReason, AccountId, Balance> for SlashedHeldEvent {
	fn done_slash(_reason: &RuntimeHoldReason, who: &AccountId, amount: Balance) {
		if !amount.is_zero() {
			System::deposit_event(pallet_balances::Event::<Runtime>::Slashed {
				who: who.clone(),
				amount,
			});
		}
	}
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = crate::weights::pallet_balances::WeightInfo<Runtime>;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<0>;
	type ReserveIdentifier = [u8; 8];
	// Escrow, bonds and deposits are fungible holds: one hold per reason the runtime knows.
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = SlashedHeldEvent;
}
