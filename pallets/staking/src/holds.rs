//! The only place that touches holds: bonds in, releases and slashes out, renter deposits.

use frame_support::traits::{
	fungible::{hold::Balanced as BalancedHold, Balanced, MutateHold},
	tokens::Precision,
	Imbalance, OnUnbalanced,
};
use gpux_primitives::{Balance, RenterDeposits};
use sp_runtime::{DispatchError, DispatchResult};

use crate::{Config, CreditOf, Error, HoldReason, Pallet};

impl<T: Config> Pallet<T> {
	/// Moves `amount` of the provider's free balance under the `ProviderBond` hold.
	pub(crate) fn hold_bond(provider: &T::AccountId, amount: Balance) -> DispatchResult {
		T::Currency::hold(&HoldReason::ProviderBond.into(), provider, amount)
			.map_err(|_| Error::<T>::BondExceedsBalance.into())
	}

	/// Gives `amount` of the bond back to the provider's free balance.
	pub(crate) fn release_bond(provider: &T::AccountId, amount: Balance) -> DispatchResult {
		T::Currency::release(&HoldReason::ProviderBond.into(), provider, amount, Precision::Exact)
			.map(|_| ())
	}

	/// Takes up to `amount` out of the bond; the credit must be paid out or handed on.
	pub(crate) fn slash_bond(provider: &T::AccountId, amount: Balance) -> CreditOf<T> {
		T::Currency::slash(&HoldReason::ProviderBond.into(), provider, amount).0
	}

	/// Pays `credit` into `to`'s free balance; returns what was paid, or the credit if `to`
	/// could not take it (an account that does not exist, below the existential deposit).
	pub(crate) fn pay_credit(
		to: &T::AccountId,
		credit: CreditOf<T>,
	) -> Result<Balance, CreditOf<T>> {
		let amount = credit.peek();
		<T::Currency as Balanced<T::AccountId>>::resolve(to, credit).map(|()| amount)
	}
}

/// Deposits for the marketplace's orders and jobs.
impl<T: Config> RenterDeposits<T::AccountId, Balance> for Pallet<T> {
	fn hold_deposit(renter: &T::AccountId, amount: Balance) -> DispatchResult {
		T::Currency::hold(&HoldReason::RenterDeposit.into(), renter, amount)
			.map_err(|_| Error::<T>::DepositExceedsBalance.into())
	}

	fn release_deposit(renter: &T::AccountId, amount: Balance) -> Balance {
		T::Currency::release(
			&HoldReason::RenterDeposit.into(),
			renter,
			amount,
			Precision::BestEffort,
		)
		.unwrap_or_else(|e: DispatchError| {
			log::warn!(target: crate::LOG_TARGET, "deposit of {amount} not released: {e:?}");
			0
		})
	}

	fn forfeit_deposit(renter: &T::AccountId, amount: Balance) -> Balance {
		let (credit, _) = T::Currency::slash(&HoldReason::RenterDeposit.into(), renter, amount);
		let taken = credit.peek();
		T::Slashed::on_unbalanced(credit);
		taken
	}
}
