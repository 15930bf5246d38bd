//! `LeasesApi`: what wallets and UIs read about leases (`api.call.leasesApi.*` in polkadot.js).

use alloc::vec::Vec;
use codec::Codec;
use gpux_primitives::{Balance, LeaseId, MachineId};

use crate::{Config, LeaseRecordOf, Leases, Pallet};
use frame_system::pallet_prelude::BlockNumberFor;

sp_api::decl_runtime_apis! {
	/// Leases of an account, and what a lease owes now.
	pub trait LeasesApi<AccountId, Lease>
	where
		AccountId: Codec,
		Lease: Codec,
	{
		/// The account's leases as renter, oldest first, starting after `after` (for paging),
		/// at most `limit` (capped by the runtime).
		fn leases_of(renter: AccountId, after: Option<LeaseId>, limit: u32) -> Vec<(LeaseId, Lease)>;
		/// What the lease owes its provider now and has not paid yet; `None` for an unknown lease.
		fn accrued(lease: LeaseId) -> Option<Balance>;
	}
}

/// What the runtime API (and the marketplace's browse API) read.
impl<T: Config> Pallet<T> {
	/// GPUs of `machine` (of `gpu_count`) that no open lease holds now.
	pub fn free_gpus(machine: MachineId, gpu_count: u32) -> u32 {
		let open = Self::open_leases(machine);
		gpu_count.saturating_sub(Self::gpus_held(open.iter().map(|(_, lease)| lease)))
	}

	/// What a lease of `gpus` GPUs over `blocks` at `price` per GPU-hour holds in escrow;
	/// `None` if it overflows.
	pub fn lease_cost(price: Balance, gpus: u32, blocks: BlockNumberFor<T>) -> Option<Balance> {
		Self::cost(price, gpus, blocks).ok()
	}

	/// What `lease` owes its provider now and has not paid; `None` for an unknown lease.
	pub fn accrued(lease: LeaseId) -> Option<Balance> {
		let record = Leases::<T>::get(lease)?;
		if !record.is_open() {
			return Some(0);
		}
		Some(Self::owed_until(&record, frame_system::Pallet::<T>::block_number()))
	}

	/// The renter's leases after `after`, oldest first, at most `limit` (capped at 100). Reads
	/// at most 10,000 of the renter's lease ids (storage order is by hash, so they are sorted).
	pub fn leases_of(
		renter: &T::AccountId,
		after: Option<LeaseId>,
		limit: u32,
	) -> Vec<(LeaseId, LeaseRecordOf<T>)> {
		let mut ids: Vec<_> = crate::LeasesOf::<T>::iter_key_prefix(renter)
			.take(10_000)
			.filter(|id| after.is_none_or(|after| *id > after))
			.collect();
		ids.sort_unstable();
		ids.into_iter()
			.take(limit.min(100) as usize)
			.filter_map(|id| Leases::<T>::get(id).map(|lease| (id, lease)))
			.collect()
	}
}
