//! The market's vocabulary: GPU classes, machines, regions, listings and leases.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_core::ConstU32;
use sp_runtime::BoundedVec;

/// Identifies a registered machine.
pub type MachineId = u64;
/// Identifies a lease.
pub type LeaseId = u64;
/// Identifies a GPU class (a model and its memory), e.g. "RTX 4090 24 GB".
pub type GpuClassId = u32;
/// The sr25519 public key a machine's worker signs heartbeats and attestations with.
pub type WorkerKey = sp_core::sr25519::Public;

/// Longest coarse location, e.g. "Frankfurt" or "us-east".
pub const MAX_LOCATION_LEN: u32 = 32;
/// Longest SSH public key a renter may hand over (an RSA-4096 key in OpenSSH form fits).
pub const MAX_SSH_KEY_LEN: u32 = 1024;

/// A coarse location: where a machine is, no finer than a city.
pub type Location = BoundedVec<u8, ConstU32<MAX_LOCATION_LEN>>;

/// CUDA compute capability, e.g. 8.9 for Ada, 9.0 for Hopper.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ComputeCapability {
	pub major: u8,
	pub minor: u8,
}

/// The hardware a machine offers. VRAM is per GPU; every GPU of a machine is of one class.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct MachineSpec {
	pub gpu_class: GpuClassId,
	pub gpu_count: u32,
	pub vram_gib_per_gpu: u32,
	pub compute_capability: ComputeCapability,
	pub cpu_cores: u32,
	pub ram_gib: u32,
	pub disk_gib: u32,
	pub bandwidth_up_mbps: u32,
	pub bandwidth_down_mbps: u32,
}

/// Where a machine is: an ISO 3166-1 alpha-2 country code and an optional coarse location.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Region {
	pub country: [u8; 2],
	pub location: Option<Location>,
}

impl Region {
	/// Two upper-case ASCII letters; whether the code is assigned is not checked on chain.
	pub fn is_well_formed(&self) -> bool {
		self.country.iter().all(u8::is_ascii_uppercase)
	}
}

/// How a renter reaches a leased machine.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct AccessMethods {
	pub ssh: bool,
	pub jupyter: bool,
	pub api: bool,
}

impl AccessMethods {
	/// A listing must offer at least one way in.
	pub fn any(&self) -> bool {
		self.ssh || self.jupyter || self.api
	}

	/// Whether `method` is one of them.
	pub fn offers(&self, method: crate::attestation::AccessMethod) -> bool {
		use crate::attestation::AccessMethod;
		match method {
			AccessMethod::Ssh => self.ssh,
			AccessMethod::Jupyter => self.jupyter,
			AccessMethod::Api => self.api,
		}
	}
}

/// What a renter needs of a machine, to quote (and later to order) without picking one.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Default,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Requirements {
	/// This GPU class; `None`: any class whose GPUs meet `min_vram_gib` and
	/// `min_compute_capability`.
	pub gpu_class: Option<GpuClassId>,
	/// Memory per GPU, GiB.
	pub min_vram_gib: u32,
	/// CUDA compute capability (major, then minor).
	pub min_compute_capability: Option<ComputeCapability>,
	pub min_cpu_cores: u32,
	pub min_ram_gib: u32,
	/// The renter's storage need, GiB.
	pub min_disk_gib: u32,
	pub min_bandwidth_up_mbps: u32,
	pub min_bandwidth_down_mbps: u32,
	/// Only machines in this country (ISO 3166-1 alpha-2).
	pub country: Option<[u8; 2]>,
	/// At least this machine reputation score.
	pub min_reputation: Option<sp_runtime::Permill>,
	/// A way in the listing must offer.
	pub access: Option<crate::attestation::AccessMethod>,
}

impl Requirements {
	/// Whether `spec` has everything asked (the class aside).
	pub fn spec_fits(&self, spec: &MachineSpec) -> bool {
		spec.vram_gib_per_gpu >= self.min_vram_gib
			&& self.min_compute_capability.is_none_or(|c| spec.compute_capability >= c)
			&& spec.cpu_cores >= self.min_cpu_cores
			&& spec.ram_gib >= self.min_ram_gib
			&& spec.disk_gib >= self.min_disk_gib
			&& spec.bandwidth_up_mbps >= self.min_bandwidth_up_mbps
			&& spec.bandwidth_down_mbps >= self.min_bandwidth_down_mbps
	}
}

/// Why no listing fits: the test at which the candidate that got furthest failed, in this
/// order.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum NoMatch {
	/// No GPUs asked for.
	ZeroGpus,
	/// The class asked for does not exist (or none has the memory asked).
	UnknownGpuClass,
	/// No listed machine of the class (or of a class meeting the memory and compute
	/// capability) has the hardware asked.
	InsufficientSpec,
	/// None of those offers the access method asked.
	AccessUnavailable,
	/// None of those is in the country asked.
	RegionUnavailable,
	/// None of those has the reputation asked.
	BelowMinReputation,
	/// None of those allows a lease of this length now.
	DurationOutOfBounds,
	/// Those left are priced above their class's Maximum Fair Price, or above the renter's
	/// maximum.
	PriceAboveMax,
	/// Those left belong to providers whose bond, net of pending slashes, no longer backs
	/// what they listed and leased.
	ProviderUnderBonded,
	/// Those left have too few free GPUs now, or nothing of the class has a GPU free.
	NoCapacity,
}

/// A price per GPU-hour as a renter compares it across machines: `price × 1,000,000 ÷
/// (500,000 + score)`, the score in parts per million. A newcomer's neutral score (500,000)
/// leaves the price as it is; the best score counts it at two thirds, the worst at double.
pub fn reputation_adjusted_price(
	price: crate::Balance,
	score: sp_runtime::Permill,
) -> crate::Balance {
	let divisor = 500_000u128.saturating_add(u128::from(score.deconstruct()));
	price.saturating_mul(1_000_000) / divisor
}

/// Whether the dotted version `have` (e.g. an NVIDIA driver's `550.54.15`) is at least
/// `want` (e.g. `550.54`), comparing the numbers part by part: each part's leading digits
/// (`15-open` is 15), a missing part or one without digits counting as 0.
pub fn version_at_least(have: &[u8], want: &[u8]) -> bool {
	let parts = |v: &[u8]| -> alloc::vec::Vec<u64> {
		v.split(|b| *b == b'.')
			.map(|part| {
				part.iter()
					.take_while(|b| b.is_ascii_digit())
					.fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0')))
			})
			.collect()
	};
	let (have, want) = (parts(have), parts(want));
	let len = have.len().max(want.len());
	let at = |v: &alloc::vec::Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
	(0..len).map(|i| at(&have, i).cmp(&at(&want, i))).find(|o| o.is_ne()).is_none_or(|o| o.is_gt())
}

/// On-demand leases are exclusive and never preempted; spot leases are cheaper and preemptible.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
pub enum LeaseMode {
	OnDemand,
	Spot,
}

/// What the renter hands the machine: an SSH key to install, and optionally an x25519 key to
/// seal secrets to.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct AccessSpec {
	pub ssh_public_key: BoundedVec<u8, ConstU32<MAX_SSH_KEY_LEN>>,
	pub seal_key: Option<[u8; 32]>,
}

/// A provider's offer for one machine. Prices are per GPU-hour (600 blocks).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ListingTerms<Balance, BlockNumber> {
	/// Price of an on-demand GPU-hour.
	pub on_demand_price: Balance,
	/// The lowest spot bid per GPU-hour the provider accepts.
	pub spot_floor_price: Balance,
	/// Shortest lease, in blocks.
	pub min_lease_blocks: BlockNumber,
	/// Longest lease, in blocks.
	pub max_lease_blocks: BlockNumber,
	/// Leases may not start before this block.
	pub available_from: BlockNumber,
	/// Leases must end by this block, if set.
	pub available_until: Option<BlockNumber>,
	/// How renters reach the machine.
	pub access: AccessMethods,
}

/// What a lease needs to know of a listed machine.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ListedMachine<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	pub gpu_class: GpuClassId,
	pub gpu_count: u32,
	/// GPUs its open leases hold, those under notice and those waiting for them included.
	pub leased_gpus: u32,
	pub terms: ListingTerms<Balance, BlockNumber>,
	/// Whether the provider's bond, net of the slashes pending against it, backs all its
	/// listed and leased GPUs: a rent is refused otherwise.
	pub backed: bool,
	/// Its class's Maximum Fair Price per GPU-hour now: no lease starts above it.
	pub mfp: Balance,
	/// Its class's spot price per GPU-hour now: no spot bid below it is taken.
	pub spot_price: Balance,
}

#[cfg(test)]
mod price_and_version_tests {
	use super::*;
	use sp_runtime::Permill;

	#[test]
	fn reputation_moves_the_compared_price_within_two_thirds_and_double() {
		let adjusted = |parts| reputation_adjusted_price(900, Permill::from_parts(parts));
		assert_eq!(adjusted(500_000), 900, "a newcomer's price as it is");
		assert_eq!(adjusted(1_000_000), 600);
		assert_eq!(adjusted(0), 1_800);
		assert!(adjusted(700_000) < adjusted(600_000));
	}

	#[test]
	fn driver_versions_compare_part_by_part() {
		assert!(version_at_least(b"550.54.15", b"550.54"));
		assert!(version_at_least(b"550.54", b"550.54.0"));
		assert!(version_at_least(b"550.100", b"550.54"), "numbers, not text");
		assert!(!version_at_least(b"535.183.01", b"550"));
		assert!(!version_at_least(b"", b"1"));
		assert!(version_at_least(b"1", b""));
		assert!(version_at_least(b"550.54.15-open", b"550.54.15"), "leading digits count");
	}
}
