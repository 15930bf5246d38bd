//! What must always hold of leases and escrow; checked after every test and by try-runtime.

use alloc::collections::btree_map::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use gpux_primitives::{Balance, MachineRegistry};
use sp_runtime::{traits::Saturating, TryRuntimeError};

use crate::{
	ClosedLeaseQueue, ClosedLeases, Closes, Config, HoldReason, Leases, LeasesOf, MachineLeases,
	NextLeaseId, Pallet,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_try_state() -> Result<(), TryRuntimeError> {
		let next = NextLeaseId::<T>::get();
		let mut escrow_of: BTreeMap<T::AccountId, Balance> = BTreeMap::new();
		let mut committed_on: BTreeMap<u64, u32> = BTreeMap::new();
		let (head, next_queued) = ClosedLeaseQueue::<T>::get();
		ensure!(head <= next_queued, "pruning queue head past its end");
		let mut queued: BTreeMap<u64, u32> = BTreeMap::new();
		for (position, (id, _)) in ClosedLeases::<T>::iter() {
			ensure!(position >= head && position < next_queued, "queue entry out of range");
			*queued.entry(id).or_default() += 1;
		}
		for (id, lease) in Leases::<T>::iter() {
			ensure!(id < next, "lease id at or above NextLeaseId");
			ensure!(LeasesOf::<T>::contains_key(&lease.renter, id), "lease not indexed by renter");
			let on_machine = MachineLeases::<T>::get(lease.machine).contains(&id);
			if lease.is_open() {
				ensure!(on_machine, "open lease missing from its machine");
				ensure!(
					T::Machines::machine_exists(lease.machine),
					"open lease on a machine that does not exist"
				);
				ensure!(
					Closes::<T>::get(lease.closes_at).contains(&id),
					"open lease not scheduled"
				);
				ensure!(lease.closes_at >= lease.starts_at, "lease closes before it starts");
				let sold = Self::cost(
					lease.price_per_gpu_hour,
					lease.gpus,
					lease.ends_at.saturating_sub(lease.starts_at),
				)
				.map_err(|_| "a lease's cost overflows")?;
				ensure!(
					lease.paid.saturating_add(lease.escrow) == sold,
					"paid + escrow differs from the cost of the blocks sold"
				);
				let entry = escrow_of.entry(lease.renter.clone()).or_default();
				*entry = entry.saturating_add(lease.escrow);
				if lease.occupies_gpus() {
					let gpus = committed_on.entry(lease.machine).or_default();
					*gpus = gpus.saturating_add(lease.gpus);
				}
			} else {
				ensure!(!on_machine, "closed lease still on its machine");
				ensure!(lease.escrow == 0, "closed lease still holds escrow");
				ensure!(queued.remove(&id) == Some(1), "closed lease not queued once for pruning");
			}
		}
		ensure!(queued.is_empty(), "a pruned or open lease is queued for pruning");
		ensure!(
			LeasesOf::<T>::iter().all(|(_, id, ())| Leases::<T>::contains_key(id)),
			"a renter's index names a pruned lease"
		);
		let mut job_payments: BTreeMap<T::AccountId, Balance> = BTreeMap::new();
		for lease in Leases::<T>::iter_values() {
			let entry = job_payments.entry(lease.renter.clone()).or_default();
			*entry = entry.saturating_add(lease.held_payout.unwrap_or_default());
		}
		for account in frame_system::Account::<T>::iter_keys() {
			let held = T::Currency::balance_on_hold(&HoldReason::JobPayment.into(), &account);
			let owed = job_payments.get(&account).copied().unwrap_or_default();
			ensure!(held == owed, "held job payments differ from the leases' held payouts");
		}
		// Every account, not only renters: escrow held for no open lease is escrow lost.
		for account in frame_system::Account::<T>::iter_keys() {
			let held = T::Currency::balance_on_hold(&HoldReason::LeaseEscrow.into(), &account);
			let escrow = escrow_of.get(&account).copied().unwrap_or_default();
			ensure!(held == escrow, "held escrow differs from the open leases' escrow");
		}
		for (machine, gpus) in committed_on {
			let count = T::Machines::machine_gpus(machine).unwrap_or_default();
			ensure!(gpus <= count, "more GPUs leased than the machine has");
		}
		for (machine, open) in MachineLeases::<T>::iter() {
			let held = open
				.iter()
				.filter_map(Leases::<T>::get)
				.map(|lease| lease.gpus)
				.fold(0u32, u32::saturating_add);
			ensure!(
				held == T::Machines::leased_gpus(machine),
				"the marketplace counts other GPUs leased than the open leases hold"
			);
		}
		Ok(())
	}
}
