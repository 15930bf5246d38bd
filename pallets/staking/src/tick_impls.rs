//! What happens block by block: deferred slashes land.

use frame_support::{
	traits::{Get, Imbalance, OnUnbalanced},
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, ProviderBonds, ProviderMarket};
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};

use crate::{
	Config, CreditOf, Event, Pallet, PendingSlashOf, SlashId, SlashSchedule, Slashes, WeightInfo,
};

impl<T: Config> Pallet<T> {
	/// Applies the slashes scheduled for `now`; there are at most `MaxSlashesPerBlock`.
	pub(crate) fn apply_due_slashes(now: BlockNumberFor<T>) -> Weight {
		let due = SlashSchedule::<T>::take(now);
		let mut weight = T::WeightInfo::on_initialize_base();
		for id in due {
			let Some(slash) = Slashes::<T>::take(id) else { continue };
			let renters = slash.renters.len() as u32;
			let examined = Self::apply_slash(id, slash);
			weight = weight.saturating_add(T::WeightInfo::apply_slash(renters, examined));
		}
		weight
	}

	/// Takes the slash out of the bond and pays it out: `RenterShare` to the renters in
	/// proportion to their refunds, `ReporterShare` to the reporter, the rest (and whatever a
	/// recipient could not take) to `Slashed`. Delists the provider if its bond no longer backs
	/// its listings. Returns how many machines the delisting looked at.
	pub(crate) fn apply_slash(id: SlashId, slash: PendingSlashOf<T>) -> u32 {
		let credit = Self::slash_bond(&slash.provider, slash.amount);
		let amount = credit.peek();
		Self::settle_pending(&slash.provider, slash.amount, amount);

		let (for_renters, rest) = credit.split(T::RenterShare::get() * amount);
		let (to_renters, unpaid) = Self::compensate_renters(&slash, for_renters);
		let mut rest = rest.merge(unpaid);
		let mut to_reporter = 0;
		if let Some(reporter) = &slash.reporter {
			let (reward, others) = rest.split(T::ReporterShare::get() * amount);
			rest = match Self::pay_credit(reporter, reward) {
				Ok(paid) => {
					to_reporter = paid;
					others
				},
				Err(unpaid) => others.merge(unpaid),
			};
		}
		let to_treasury = rest.peek();
		T::Slashed::on_unbalanced(rest);
		Self::deposit_event(Event::Slashed {
			slash: id,
			provider: slash.provider.clone(),
			amount,
			to_renters,
			to_reporter,
			to_treasury,
		});

		let listed = T::Market::listed_gpus(&slash.provider);
		let committed = T::Market::committed_gpus(&slash.provider);
		if listed == 0 || Self::backs_as_committed(&slash.provider, committed) {
			return 0;
		}
		let (delisted, examined) = T::Market::delist_all(&slash.provider);
		Self::deposit_event(Event::ProviderDelisted {
			provider: slash.provider,
			machines: delisted,
		});
		examined
	}

	/// Shares `credit` among the slash's renters in proportion to their losses, each at most
	/// its loss: a fault never pays a renter more than its lease cost it. Returns what was
	/// paid and what was not (to the treasury).
	fn compensate_renters(
		slash: &PendingSlashOf<T>,
		credit: CreditOf<T>,
	) -> (Balance, CreditOf<T>) {
		let total = credit.peek();
		let losses = slash.renters.iter().map(|(_, lost)| *lost).fold(0, Balance::saturating_add);
		let mut left = credit;
		let mut paid: Balance = 0;
		let mut unpaid = CreditOf::<T>::zero();
		for (renter, lost) in slash.renters.iter() {
			let share = if losses <= total {
				*lost
			} else {
				multiply_by_rational_with_rounding(total, *lost, losses, Rounding::Down)
					.unwrap_or_default()
			};
			let (part, remaining) = left.split(share);
			left = remaining;
			match Self::pay_credit(renter, part) {
				Ok(amount) => paid = paid.saturating_add(amount),
				Err(part) => unpaid = unpaid.merge(part),
			}
		}
		(paid, unpaid.merge(left))
	}
}
