//! What must always hold of bonds and slashes; checked after every test and by try-runtime.

use alloc::collections::btree_map::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use gpux_primitives::{Balance, ProviderBonds, ProviderMarket};
use sp_runtime::TryRuntimeError;

use crate::{Bonds, Config, HoldReason, NextSlashId, Pallet, SlashSchedule, Slashes};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_try_state() -> Result<(), TryRuntimeError> {
		let next = NextSlashId::<T>::get();
		let mut pending_of: BTreeMap<T::AccountId, (u32, Balance)> = BTreeMap::new();
		for (id, slash) in Slashes::<T>::iter() {
			ensure!(id < next, "slash id at or above NextSlashId");
			ensure!(
				SlashSchedule::<T>::get(slash.applies_at).contains(&id),
				"pending slash not scheduled"
			);
			let pending = pending_of.entry(slash.provider).or_default();
			pending.0 += 1;
			pending.1 = pending.1.saturating_add(slash.amount);
		}
		for (_, due) in SlashSchedule::<T>::iter() {
			for id in due {
				ensure!(Slashes::<T>::contains_key(id), "scheduled slash is not pending");
			}
		}
		for (provider, ledger) in Bonds::<T>::iter() {
			ensure!(!ledger.is_empty(), "empty ledger kept");
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ProviderBond.into(), &provider)
					== ledger.total(),
				"held bond differs from active + unbonding"
			);
			let (count, amount) = pending_of.remove(&provider).unwrap_or_default();
			ensure!(
				count == ledger.pending_slashes,
				"pending slash count differs from the slashes"
			);
			ensure!(amount == ledger.pending_amount, "pending amount differs from the slashes");
			ensure!(amount <= ledger.total(), "pending slashes exceed the bond");
			// A slash may take the bond below the listed and leased GPUs: then nothing of the
			// provider's stays listed. A raised bond per GPU binds only later commitments.
			ensure!(
				Self::backs_as_committed(&provider, T::Market::committed_gpus(&provider))
					|| T::Market::listed_gpus(&provider) == 0,
				"listed and leased GPUs are not backed by their provider's bond"
			);
		}
		ensure!(pending_of.is_empty(), "pending slash against a provider without a ledger");
		Ok(())
	}
}
