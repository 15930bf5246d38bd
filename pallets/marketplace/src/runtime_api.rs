//! `MarketplaceApi`: browse listings (`api.call.marketplaceApi.listings(...)` in polkadot.js).

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use gpux_primitives::{
	Balance, GpuClassId, LeaseMode, ListingTerms, MachineId, MachineSpec, Region,
};
use scale_info::TypeInfo;
use sp_runtime::Permill;

/// Which listings to return. Every field left `None` matches everything.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Default, Debug, TypeInfo)]
pub struct ListingFilter {
	/// Only this GPU class.
	pub gpu_class: Option<GpuClassId>,
	/// Only GPU classes whose model name contains these bytes, e.g. `4090`.
	pub model: Option<Vec<u8>>,
	/// At least this much memory per GPU, GiB.
	pub min_vram_gib: Option<u32>,
	/// At least this many GPUs free now.
	pub min_free_gpus: Option<u32>,
	/// At most this price per GPU-hour: the on-demand price, or the spot floor when
	/// `mode` is `Spot`.
	pub max_price: Option<Balance>,
	/// Only machines in this country (ISO 3166-1 alpha-2).
	pub country: Option<[u8; 2]>,
	/// Which price `max_price` and the sort look at; on-demand by default.
	pub mode: Option<LeaseMode>,
	/// Only machines whose reputation score is at least this (parts per million; 500_000 is
	/// a newcomer's).
	pub min_reputation: Option<Permill>,
}

/// How listings are ordered.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Default, Debug, TypeInfo)]
pub enum ListingSort {
	/// Cheapest first (ties: lower machine id first).
	#[default]
	PriceAscending,
	/// Dearest first.
	PriceDescending,
	/// Best reputation first (ties: cheaper first, then lower machine id).
	ReputationDescending,
}

/// Which slice of the sorted result to return.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo)]
pub struct Page {
	/// Listings to skip.
	pub offset: u32,
	/// Listings to return, at most `MAX_PAGE_LEN`.
	pub limit: u32,
}

/// Most listings one call returns.
pub const MAX_PAGE_LEN: u32 = 100;
/// Most machines one call looks at; a market beyond this needs an indexer.
pub const MAX_SCANNED_MACHINES: u32 = 10_000;

/// One listing as a renter sees it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ListingView<AccountId, BlockNumber> {
	pub machine: MachineId,
	pub provider: AccountId,
	pub model: Vec<u8>,
	pub spec: MachineSpec,
	pub region: Region,
	pub terms: ListingTerms<Balance, BlockNumber>,
	/// GPUs no lease holds now.
	pub free_gpus: u32,
	/// The machine's reputation score now.
	pub reputation: Permill,
}

sp_api::decl_runtime_apis! {
	/// Browsing the market.
	pub trait MarketplaceApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// Listed machines matching `filter`, sorted by `sort`, the `page` slice of them.
		fn listings(filter: ListingFilter, sort: ListingSort, page: Page) -> Vec<ListingView<AccountId, BlockNumber>>;
		/// Every GPU class: id, model, VRAM per GPU (GiB), price ceiling per GPU-hour.
		fn gpu_classes() -> Vec<(GpuClassId, Vec<u8>, u32, Balance)>;
	}
}
