//! Records the marketplace stores.

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{Balance, ListingTerms, MachineSpec, Region, WorkerKey};
use scale_info::TypeInfo;

use crate::Config;

/// A registered provider.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct ProviderRecord<Metadata, BlockNumber> {
	/// Free-form description (name, contact, terms of service), bounded.
	pub metadata: Metadata,
	/// When the provider registered.
	pub registered_at: BlockNumber,
	/// How many machines it has registered now.
	pub machines: u32,
	/// GPUs of its listed machines.
	pub listed_gpus: u32,
	/// GPUs of its machines that are listed or have open leases: its bond must back them.
	pub committed_gpus: u32,
	/// Held while it is registered.
	pub deposit: Balance,
}

/// A GPU class: a model with its memory, and the most a GPU-hour of it may be listed for.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct GpuClass<Model> {
	/// Model name as workers report it, e.g. `NVIDIA GeForce RTX 4090`.
	pub model: Model,
	/// Memory per GPU, GiB.
	pub vram_gib: u32,
	/// Price ceiling per GPU-hour, set by governance: the Maximum Fair Price never exceeds it.
	pub price_ceiling: Balance,
	/// Moving average of the prices of the class's closed leases (each clamped to the MFP of
	/// its moment, weighted by what it paid); seeded with the ceiling.
	pub reference_price: Balance,
}

impl<Model> GpuClass<Model> {
	/// The Maximum Fair Price per GPU-hour: `min(reference × (1 + band), ceiling)`.
	pub fn mfp(&self, band: sp_runtime::Permill) -> Balance {
		self.reference_price.saturating_add(band * self.reference_price).min(self.price_ceiling)
	}
}

/// A registered machine and, when listed, its offer.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct MachineRecord<AccountId, FleetLabel, BlockNumber> {
	pub provider: AccountId,
	pub spec: MachineSpec,
	pub worker_key: WorkerKey,
	pub region: Region,
	pub fleet: Option<FleetLabel>,
	pub listing: Option<ListingTerms<Balance, BlockNumber>>,
	pub registered_at: BlockNumber,
	/// Held while it is registered.
	pub deposit: Balance,
}

/// Provider metadata as stored.
pub type MetadataOf<T> = BoundedVec<u8, <T as Config>::MaxMetadataLen>;
/// GPU model name as stored.
pub type ModelOf<T> = BoundedVec<u8, <T as Config>::MaxModelLen>;
/// Fleet label as stored.
pub type FleetLabelOf<T> = BoundedVec<u8, <T as Config>::MaxFleetLabelLen>;
/// The machines of one fleet.
pub type FleetMembersOf<T> = BoundedVec<gpux_primitives::MachineId, <T as Config>::MaxFleetSize>;
/// Listing terms with the runtime's block number.
pub type ListingTermsOf<T> = ListingTerms<Balance, BlockNumberFor<T>>;
/// A provider record of the runtime.
pub type ProviderRecordOf<T> = ProviderRecord<MetadataOf<T>, BlockNumberFor<T>>;
/// A GPU class of the runtime.
pub type GpuClassOf<T> = GpuClass<ModelOf<T>>;
/// A machine record of the runtime.
pub type MachineRecordOf<T> =
	MachineRecord<<T as frame_system::Config>::AccountId, FleetLabelOf<T>, BlockNumberFor<T>>;
