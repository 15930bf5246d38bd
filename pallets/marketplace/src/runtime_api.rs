//! `MarketplaceApi`: browse listings (`api.call.marketplaceApi.listings(...)` in polkadot.js).

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use gpux_primitives::{
	attestation::AccessMethod, Balance, ComputeCapability, GpuClassId, LeaseMode, ListingTerms,
	MachineId, MachineSpec, NoMatch, Region, Requirements,
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
	/// At least this many CPU cores.
	pub min_cpu_cores: Option<u32>,
	/// At least this much RAM, GiB.
	pub min_ram_gib: Option<u32>,
	/// At least this much disk, GiB: the renter's storage need.
	pub min_disk_gib: Option<u32>,
	/// At least this upload bandwidth, Mbit/s.
	pub min_bandwidth_up_mbps: Option<u32>,
	/// At least this download bandwidth, Mbit/s.
	pub min_bandwidth_down_mbps: Option<u32>,
	/// At least this CUDA compute capability (major, then minor).
	pub min_compute_capability: Option<ComputeCapability>,
	/// Only listings offering this way in.
	pub access: Option<AccessMethod>,
	/// Only listings that allow a lease of this many blocks (between their shortest and
	/// longest lease); 600 blocks are an hour.
	pub lease_blocks: Option<u32>,
	/// At least this NVIDIA driver in the machine's last heartbeat, compared part by part
	/// (`550.54` matches `550.54.15` and `555.42`); a machine never heard from does not match.
	pub min_driver_version: Option<Vec<u8>>,
	/// At least this share of the machine's checked heartbeat windows met; a machine with no
	/// window checked yet does not match.
	pub min_uptime: Option<Permill>,
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
	/// Lowest reputation-adjusted price first (`adjusted_price`; ties: lower machine id):
	/// the best value across classes and providers.
	AdjustedPriceAscending,
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
	/// The price per GPU-hour the filter's mode pays: on-demand, or the spot floor.
	pub price_per_gpu_hour: Balance,
	/// That price adjusted by reputation (`gpux_primitives::reputation_adjusted_price`:
	/// price × 1,000,000 ÷ (500,000 + score)), to compare across machines and classes.
	pub adjusted_price: Balance,
	/// The driver version in the machine's last heartbeat; `None` if never heard from.
	pub driver_version: Option<Vec<u8>>,
	/// Share of its checked heartbeat windows met; `None` before any was checked.
	pub uptime: Option<Permill>,
}

/// The best listing for a renter's requirements and what the lease would cost.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Quote<AccountId, BlockNumber> {
	/// The listing, as `listings` shows it.
	pub listing: ListingView<AccountId, BlockNumber>,
	/// What the lease would hold in escrow: price × GPUs × blocks ÷ blocks per hour.
	pub total: Balance,
}

/// What the attestation pallet knows of a machine's health, for browsing.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Default, Debug, TypeInfo)]
pub struct MachineHealth {
	/// The driver version in its last heartbeat.
	pub driver_version: Option<Vec<u8>>,
	/// Share of its checked heartbeat windows met.
	pub uptime: Option<Permill>,
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
		/// The class's Maximum Fair Price per GPU-hour now: min(reference × (1 + band),
		/// ceiling); `None` for an unknown class.
		fn mfp(class: GpuClassId) -> Option<Balance>;
		/// The class's spot price per GPU-hour now: the least a spot lease of it bids.
		fn spot_price(class: GpuClassId) -> Option<Balance>;
		/// The listing that best fits `requirements` for `gpus` GPUs over `duration` blocks in
		/// `mode` (the lowest reputation-adjusted price among those with the GPUs free now,
		/// ties to the lower machine id) and the lease's total price; or why none fits.
		fn quote(requirements: Requirements, gpus: u32, duration: BlockNumber, mode: LeaseMode) -> Result<Quote<AccountId, BlockNumber>, NoMatch>;
	}
}
