//! What each call does, after its origin is checked.

use frame_support::{ensure, pallet_prelude::DispatchResult, traits::Get};
use gpux_primitives::{Balance, DisputeRegistry, ProviderBonds, ProviderMarket};
use sp_runtime::traits::CheckedAdd;

use crate::{
	BondLedgerOf, Bonds, CancelReasonOf, Config, Error, Event, NextSlashId, Pallet, SlashId,
	Slashes, UnlockChunk,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_bond(provider: T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(amount > 0, Error::<T>::ZeroAmount);
		let mut ledger = Bonds::<T>::get(&provider).unwrap_or_default();
		ledger.active = ledger.active.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		Self::hold_to_current_rate(&mut ledger, T::Market::committed_gpus(&provider));
		Self::hold_bond(&provider, amount)?;
		Bonds::<T>::insert(&provider, ledger);
		Self::deposit_event(Event::Bonded { provider, amount });
		Ok(())
	}

	/// What `gpus` GPUs need bonded at the rate they were committed at (or the current one, if
	/// governance lowered it since).
	pub(crate) fn committed_requirement(ledger: &BondLedgerOf<T>, gpus: u32) -> Balance {
		ledger.rate.min(T::MinBondPerGpu::get()).saturating_mul(gpus.into())
	}

	/// Holds the provider to the current rate if its active bond covers `gpus` at it (what a
	/// bond, an unbond or a new listing just showed), and a new ledger in any case.
	pub(crate) fn hold_to_current_rate(ledger: &mut BondLedgerOf<T>, gpus: u32) {
		if ledger.rate == 0 || ledger.active >= Self::requirement(gpus) {
			ledger.rate = T::MinBondPerGpu::get();
		}
	}

	/// What `gpus` listed or leased GPUs need bonded.
	pub(crate) fn requirement(gpus: u32) -> Balance {
		T::MinBondPerGpu::get().saturating_mul(gpus.into())
	}

	pub(crate) fn do_unbond(provider: T::AccountId, amount: Balance) -> DispatchResult {
		ensure!(amount > 0, Error::<T>::ZeroAmount);
		let mut ledger = Bonds::<T>::get(&provider).ok_or(Error::<T>::NotBonded)?;
		ensure!(amount <= ledger.active, Error::<T>::UnbondExceedsBond);
		let remaining = ledger.active.saturating_sub(amount);
		ensure!(
			remaining >= Self::requirement(T::Market::committed_gpus(&provider)),
			Error::<T>::BelowRequirement
		);
		let now = frame_system::Pallet::<T>::block_number();
		let unlocks_at = now.checked_add(&T::UnbondingPeriod::get()).ok_or(Error::<T>::Overflow)?;
		match ledger.unlocking.iter_mut().find(|chunk| chunk.unlocks_at == unlocks_at) {
			Some(chunk) => chunk.amount = chunk.amount.saturating_add(amount),
			None => ledger
				.unlocking
				.try_push(UnlockChunk { amount, unlocks_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?,
		}
		ledger.active = remaining;
		Self::hold_to_current_rate(&mut ledger, T::Market::committed_gpus(&provider));
		Bonds::<T>::insert(&provider, ledger);
		Self::deposit_event(Event::Unbonded { provider, amount, unlocks_at });
		Ok(())
	}

	pub(crate) fn do_withdraw_unbonded(provider: T::AccountId) -> DispatchResult {
		let mut ledger = Bonds::<T>::get(&provider).ok_or(Error::<T>::NotBonded)?;
		ensure!(!ledger.unlocking.is_empty(), Error::<T>::NothingUnbonding);
		ensure!(ledger.pending_slashes == 0, Error::<T>::SlashPending);
		ensure!(T::Disputes::undecided_disputes(&provider) == 0, Error::<T>::DisputeUndecided);
		let amount = ledger.take_unlocked(frame_system::Pallet::<T>::block_number());
		ensure!(amount > 0, Error::<T>::StillUnbonding);
		Self::release_bond(&provider, amount)?;
		if ledger.is_empty() {
			Bonds::<T>::remove(&provider);
		} else {
			Bonds::<T>::insert(&provider, ledger);
		}
		Self::deposit_event(Event::Withdrawn { provider, amount });
		Ok(())
	}

	pub(crate) fn do_cancel_slash(slash: SlashId, reason: CancelReasonOf<T>) -> DispatchResult {
		let Some(pending) = Slashes::<T>::take(slash) else {
			return Err(if slash < NextSlashId::<T>::get() {
				Error::<T>::SlashNotPending
			} else {
				Error::<T>::UnknownSlash
			}
			.into());
		};
		Self::unschedule_slash(slash, pending.applies_at);
		Self::settle_pending(&pending.provider, pending.amount, 0);
		Self::deposit_event(Event::SlashCancelled { slash, provider: pending.provider, reason });
		Ok(())
	}
}

/// The marketplace asks here whether a provider may list more GPUs.
impl<T: Config> ProviderBonds<T::AccountId> for Pallet<T> {
	#[cfg(feature = "runtime-benchmarks")]
	fn bond_for_benchmark(provider: &T::AccountId, gpus: u32) {
		Self::do_bond(provider.clone(), Self::requirement(gpus))
			.expect("benchmark providers are funded");
	}

	fn backs(provider: &T::AccountId, gpus: u32) -> bool {
		let active = Bonds::<T>::get(provider).map(|ledger| ledger.active).unwrap_or_default();
		active >= Self::requirement(gpus)
	}

	fn backs_after_slashes(provider: &T::AccountId, gpus: u32) -> bool {
		let left = Bonds::<T>::get(provider)
			.map(|ledger| ledger.active.saturating_sub(ledger.pending_amount))
			.unwrap_or_default();
		left >= Self::requirement(gpus)
	}

	fn backs_as_committed(provider: &T::AccountId, gpus: u32) -> bool {
		Bonds::<T>::get(provider)
			.map_or(gpus == 0, |ledger| ledger.active >= Self::committed_requirement(&ledger, gpus))
	}

	fn committed(provider: &T::AccountId, gpus: u32) {
		Bonds::<T>::mutate_exists(provider, |ledger| {
			if let Some(ledger) = ledger {
				Self::hold_to_current_rate(ledger, gpus);
			}
		});
	}
}
