//! Records the marketplace stores.

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use frame_system::pallet_prelude::BlockNumberFor;
use gpux_primitives::{
	AccessSpec, Balance, Cid, LeaseId, LeaseMode, ListingTerms, MachineId, MachineSpec, Region,
	Requirements, WorkerKey,
};
use scale_info::TypeInfo;
use sp_runtime::Permill;

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
	/// The least a spot lease of the class bids per GPU-hour, moved each spot epoch with the
	/// class's utilization; read through [`GpuClass::spot_price`], which keeps it within
	/// [`GpuClass::spot_floor`] and the MFP.
	pub spot_price: Balance,
}

impl<Model> GpuClass<Model> {
	/// The Maximum Fair Price per GPU-hour: `min(reference × (1 + band), ceiling)`.
	pub fn mfp(&self, band: Permill) -> Balance {
		self.reference_price.saturating_add(band * self.reference_price).min(self.price_ceiling)
	}

	/// The lowest the spot price goes: `floor_share` of the reference price, at least 1 and at
	/// most the MFP.
	pub fn spot_floor(&self, band: Permill, floor_share: Permill) -> Balance {
		(floor_share * self.reference_price).max(1).min(self.mfp(band))
	}

	/// The spot price now: the stored one, within the floor and the MFP of this moment.
	pub fn spot_price(&self, band: Permill, floor_share: Permill) -> Balance {
		self.spot_price.min(self.mfp(band)).max(self.spot_floor(band, floor_share))
	}
}

/// GPUs of a class's listed machines, and how many of those leases hold: the class's
/// utilization, which moves its spot price.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Default, Debug, TypeInfo, MaxEncodedLen)]
pub struct ClassUsage {
	pub listed_gpus: u32,
	pub leased_gpus: u32,
}

impl ClassUsage {
	/// Leased ÷ listed GPUs; none listed is none used.
	pub fn utilization(&self) -> Permill {
		if self.listed_gpus == 0 {
			Permill::zero()
		} else {
			Permill::from_rational(self.leased_gpus.min(self.listed_gpus), self.listed_gpus)
		}
	}
}

/// A listing's place in its class's price index: its price, then its machine, both
/// big-endian, so that storage iterates the index cheapest first (ties: lower machine id).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct PriceKey(pub [u8; 24]);

impl PriceKey {
	pub fn new(price: Balance, machine: MachineId) -> Self {
		let mut key = [0u8; 24];
		key[..16].copy_from_slice(&price.to_be_bytes());
		key[16..].copy_from_slice(&machine.to_be_bytes());
		Self(key)
	}

	pub fn price(&self) -> Balance {
		let mut price = [0u8; 16];
		price.copy_from_slice(&self.0[..16]);
		Balance::from_be_bytes(price)
	}

	pub fn machine(&self) -> MachineId {
		let mut machine = [0u8; 8];
		machine.copy_from_slice(&self.0[16..]);
		MachineId::from_be_bytes(machine)
	}
}

/// Order ids, counting from 0.
pub type OrderId = u64;

/// Job ids, counting from 0.
pub type JobId = u64;

/// Where a job is.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum JobStatus<BlockNumber> {
	/// Providers bid until the job's `closes_at`.
	Bidding,
	/// The winning bid's lease runs the job; its worker's result is due by `result_by`.
	Running { lease: LeaseId, machine: MachineId, result_by: BlockNumber },
	/// The result is attested; the submitter accepts or disputes it until `accept_by`, and
	/// silence then counts as acceptance.
	ResultAttested {
		lease: LeaseId,
		machine: MachineId,
		output_cid: Cid,
		output_hash: [u8; 32],
		accept_by: BlockNumber,
	},
	/// The submitter disputed the result: governance decides (`resolveJob`).
	Disputed { lease: LeaseId, machine: MachineId },
}

/// A job: a reverse auction for a lease, then its result.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct JobRecord<AccountId, BlockNumber> {
	pub submitter: AccountId,
	/// What it needs, and the most it pays per GPU-hour (`max_price_per_gpu_hour`).
	pub terms: OrderTerms<BlockNumber>,
	/// The IPFS CID of its inputs.
	pub input_cid: Cid,
	/// The SSH key (and optional sealing key) its lease gets.
	pub access: AccessSpec,
	/// Paid `PriorityFee`: decided before others at its window's close.
	pub priority: bool,
	/// When bidding closes and the best bid wins.
	pub closes_at: BlockNumber,
	/// Held from the submitter until the job ends.
	pub deposit: Balance,
	pub status: JobStatus<BlockNumber>,
}

/// A provider's offer to run a job on one of its machines.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Bid<AccountId> {
	pub machine: MachineId,
	pub bidder: AccountId,
	pub price_per_gpu_hour: Balance,
	/// Held from the bidder until the window closes or the bid is cancelled.
	pub deposit: Balance,
}

/// What an order asks for.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct OrderTerms<BlockNumber> {
	pub requirements: Requirements,
	/// GPUs in all.
	pub gpus: u32,
	/// Blocks each lease runs.
	pub duration: BlockNumber,
	pub mode: LeaseMode,
	/// The most the renter pays per GPU-hour.
	pub max_price_per_gpu_hour: Balance,
	/// Whether the GPUs may come from several machines of one provider's fleet (all leases or
	/// none) when no single machine has them.
	pub split_across_fleet: bool,
}

/// An order resting in its book until it fills, is cancelled or expires.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct OrderRecord<AccountId, BlockNumber> {
	pub renter: AccountId,
	pub terms: OrderTerms<BlockNumber>,
	/// The SSH key (and optional sealing key) its leases get.
	pub access: AccessSpec,
	/// It leaves the book at this block, deposit returned, if it has not filled.
	pub expires_at: BlockNumber,
	/// Held from the renter while it rests.
	pub deposit: Balance,
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
	/// GPUs its open leases hold (the leases pallet tells): the rest are free for orders.
	pub leased_gpus: u32,
}

impl<AccountId, FleetLabel, BlockNumber> MachineRecord<AccountId, FleetLabel, BlockNumber> {
	/// GPUs no open lease holds.
	pub fn free_gpus(&self) -> u32 {
		self.spec.gpu_count.saturating_sub(self.leased_gpus)
	}
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
/// Order terms with the runtime's block number.
pub type OrderTermsOf<T> = OrderTerms<BlockNumberFor<T>>;
/// A resting order of the runtime.
pub type OrderRecordOf<T> = OrderRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A book of resting orders: (max price per GPU-hour, order), highest price first, then oldest.
pub type OrderBookOf<T> = BoundedVec<(Balance, OrderId), <T as Config>::MaxRestingOrders>;
/// A job of the runtime.
pub type JobRecordOf<T> = JobRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A job's bids.
pub type BidsOf<T> =
	BoundedVec<Bid<<T as frame_system::Config>::AccountId>, <T as Config>::MaxBidsPerJob>;
