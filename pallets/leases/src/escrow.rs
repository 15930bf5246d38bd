//! The only place that touches holds: escrow in, payouts and refunds out.

use frame_support::traits::{
	fungible::MutateHold,
	tokens::{Fortitude, Precision, Restriction},
	Get,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, LeaseId};
use sp_runtime::{traits::Saturating, DispatchError, SaturatedConversion};

use crate::{Config, Error, Event, HoldReason, LeaseRecordOf, Pallet, LOG_TARGET};

impl<T: Config> Pallet<T> {
	/// What `gpus` GPUs cost for `blocks` at `price` per GPU-hour, rounded down.
	pub(crate) fn cost(
		price: Balance,
		gpus: u32,
		blocks: BlockNumberFor<T>,
	) -> Result<Balance, Error<T>> {
		let blocks: Balance = blocks.saturated_into();
		let blocks_per_hour: Balance = T::BlocksPerHour::get().saturated_into();
		price
			.checked_mul(gpus.into())
			.and_then(|v| v.checked_mul(blocks))
			.and_then(|v| v.checked_div(blocks_per_hour))
			.ok_or(Error::<T>::Overflow)
	}

	/// What the lease owes from its start up to `upto` (capped at its end or preemption
	/// deadline), paid or not.
	pub(crate) fn due_until(lease: &LeaseRecordOf<T>, upto: BlockNumberFor<T>) -> Balance {
		let elapsed = upto.min(lease.accrues_until()).saturating_sub(lease.starts_at);
		// The whole budget's cost was computed without overflow at rent; a part cannot overflow.
		Self::cost(lease.price_per_gpu_hour, lease.gpus, elapsed)
			.unwrap_or_else(|_| lease.paid.saturating_add(lease.escrow))
	}

	/// What the lease owes up to `upto` and has not paid, no more than its escrow.
	pub(crate) fn owed_until(lease: &LeaseRecordOf<T>, upto: BlockNumberFor<T>) -> Balance {
		Self::due_until(lease, upto).saturating_sub(lease.paid).min(lease.escrow)
	}

	/// Moves `amount` from the renter's free balance into escrow.
	pub(crate) fn hold_escrow(renter: &T::AccountId, amount: Balance) -> Result<(), DispatchError> {
		T::Currency::hold(&HoldReason::LeaseEscrow.into(), renter, amount)
			.map_err(|_| Error::<T>::EscrowExceedsBalance.into())
	}

	/// Pays what accrued up to `upto` out of escrow: the protocol fee to the treasury, the rest
	/// to the provider. An amount a missing account could not receive (below the existential
	/// deposit) stays in escrow and is refunded at close.
	pub(crate) fn pay_accrued(
		id: LeaseId,
		lease: &mut LeaseRecordOf<T>,
		upto: BlockNumberFor<T>,
	) -> (Balance, Balance) {
		let owed = Self::owed_until(lease, upto);
		if owed == 0 {
			return (0, 0);
		}
		if let Some(held) = lease.held_payout {
			return Self::hold_payout(id, lease, owed, held);
		}
		let (to_provider, fee) = Self::pay_from_hold(id, lease, HoldReason::LeaseEscrow, owed);
		let paid = fee.saturating_add(to_provider);
		lease.paid = lease.paid.saturating_add(paid);
		lease.escrow = lease.escrow.saturating_sub(paid);
		if paid > 0 {
			Self::deposit_event(Event::Settled { lease: id, to_provider, fee });
		}
		(to_provider, fee)
	}

	/// Pays `amount` held under `reason` in the renter's account: the protocol fee to the
	/// treasury, the rest to the provider. A part an account could not receive (below the
	/// existential deposit) stays held. Returns what the provider and the treasury got.
	fn pay_from_hold(
		id: LeaseId,
		lease: &LeaseRecordOf<T>,
		reason: HoldReason,
		amount: Balance,
	) -> (Balance, Balance) {
		let reason = reason.into();
		let transfer = |to: &T::AccountId, amount: Balance| {
			if amount == 0 {
				return Ok(0);
			}
			T::Currency::transfer_on_hold(
				&reason,
				&lease.renter,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)
		};
		let mut fee = lease.protocol_fee * amount;
		let mut to_provider = amount.saturating_sub(fee);
		if let Err(e) = transfer(&T::Treasury::get(), fee) {
			log::warn!(target: LOG_TARGET, "lease {id}: fee {fee} not paid to treasury: {e:?}");
			to_provider = amount;
			fee = 0;
		}
		if let Err(e) = transfer(&lease.provider, to_provider) {
			log::warn!(target: LOG_TARGET, "lease {id}: {to_provider} not paid to provider: {e:?}");
			to_provider = 0;
		}
		(to_provider, fee)
	}

	/// A job's lease: moves `owed` from escrow to the `JobPayment` hold of the same account, for
	/// the job's result to decide whose it is. Nothing is paid out yet.
	fn hold_payout(
		id: LeaseId,
		lease: &mut LeaseRecordOf<T>,
		owed: Balance,
		held: Balance,
	) -> (Balance, Balance) {
		// Both or neither: a release whose hold failed would leave the payout free.
		let moved = frame_support::storage::with_storage_layer(|| {
			let released = T::Currency::release(
				&HoldReason::LeaseEscrow.into(),
				&lease.renter,
				owed,
				Precision::Exact,
			)?;
			T::Currency::hold(&HoldReason::JobPayment.into(), &lease.renter, released)
				.map(|_| released)
		});
		match moved {
			Ok(amount) => {
				lease.paid = lease.paid.saturating_add(amount);
				lease.escrow = lease.escrow.saturating_sub(amount);
				lease.held_payout = Some(held.saturating_add(amount));
				Self::deposit_event(Event::PayoutHeld { lease: id, amount });
			},
			Err(e) => log::warn!(target: LOG_TARGET, "lease {id}: {owed} not held: {e:?}"),
		}
		(0, 0)
	}

	/// Pays a job's held payout to its provider, less the protocol fee. Returns what the
	/// provider got.
	pub(crate) fn release_held(id: LeaseId, lease: &mut LeaseRecordOf<T>) -> Balance {
		let held = lease.held_payout.unwrap_or_default();
		if held == 0 {
			return 0;
		}
		let (to_provider, fee) = Self::pay_from_hold(id, lease, HoldReason::JobPayment, held);
		let left = held.saturating_sub(fee).saturating_sub(to_provider);
		// What could not be paid (a provider account below the existential deposit) goes back.
		if left > 0 {
			let reason = HoldReason::JobPayment.into();
			let _ = T::Currency::release(&reason, &lease.renter, left, Precision::BestEffort);
		}
		lease.held_payout = Some(0);
		Self::deposit_event(Event::PayoutReleased { lease: id, to_provider, fee });
		to_provider
	}

	/// Gives a job's held payout back to its renter and counts it as never paid. Returns it.
	pub(crate) fn take_back_held(id: LeaseId, lease: &mut LeaseRecordOf<T>) -> Balance {
		let back = Self::refund_held(id, lease);
		lease.paid = lease.paid.saturating_sub(back);
		back
	}

	/// Gives a job's held payout back to its renter. Returns it.
	pub(crate) fn refund_held(id: LeaseId, lease: &mut LeaseRecordOf<T>) -> Balance {
		let held = lease.held_payout.unwrap_or_default();
		if held == 0 {
			return 0;
		}
		let amount = T::Currency::release(
			&HoldReason::JobPayment.into(),
			&lease.renter,
			held,
			Precision::BestEffort,
		)
		.unwrap_or_default();
		lease.held_payout = Some(0);
		Self::deposit_event(Event::PayoutRefunded { lease: id, amount });
		amount
	}

	/// Gives the lease's remaining escrow back to the renter.
	pub(crate) fn refund_escrow(lease: &mut LeaseRecordOf<T>) -> Balance {
		let refunded = T::Currency::release(
			&HoldReason::LeaseEscrow.into(),
			&lease.renter,
			lease.escrow,
			Precision::BestEffort,
		)
		.unwrap_or_default();
		lease.escrow = lease.escrow.saturating_sub(refunded);
		refunded
	}
}
