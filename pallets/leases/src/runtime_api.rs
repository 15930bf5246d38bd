//! `LeasesApi`: what wallets and UIs read about leases (`api.call.leasesApi.*` in polkadot.js).

use alloc::vec::Vec;
use codec::Codec;
use gpux_primitives::{Balance, LeaseId};

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
