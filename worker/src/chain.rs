//! The chain as the worker sees it, in the runtime's own types: storage keys, the extrinsics it
//! sends, and the conversions from GPU readings to telemetry and machine specs.

use codec::Encode;
use gpux_primitives::{
	attestation::{GpuTelemetry, Telemetry, MAX_GPUS_PER_MACHINE},
	challenge::{merkle_root, Hash32},
	ComputeCapability, GpuClassId, LeaseId, MachineId, MachineSpec, WorkerKey,
};
use gpux_runtime::{Runtime, RuntimeCall, UncheckedExtrinsic};
use sp_crypto_hashing::{blake2_128, blake2_256};

use crate::gpu::GpuReport;

/// A call of the attestation pallet.
pub type AttestationCall = pallet_attestation::Call<Runtime>;

/// An unsigned (bare) extrinsic: what the worker sends; its own signature is inside the call.
pub fn bare(call: AttestationCall) -> Vec<u8> {
	UncheckedExtrinsic::new_bare(RuntimeCall::Attestation(call)).encode()
}

/// A signed, immortal extrinsic (the provider's, for `register`).
pub use gpux_client::tx::signed;

/// Storage keys the worker reads.
pub mod keys {
	use super::*;
	use frame_support::storage::generator::{StorageMap, StorageValue};

	pub fn open_challenges() -> Vec<u8> {
		pallet_attestation::OpenChallenges::<Runtime>::storage_value_final_key().to_vec()
	}
	pub fn row_draw() -> Vec<u8> {
		pallet_attestation::RowDraw::<Runtime>::storage_value_final_key().to_vec()
	}
	pub fn challenge(id: u64) -> Vec<u8> {
		pallet_attestation::Challenges::<Runtime>::storage_map_final_key(id)
	}
	pub fn gpu_evidence_hash(id: u64) -> Vec<u8> {
		pallet_attestation::GpuEvidenceHashes::<Runtime>::storage_map_final_key(id)
	}
	pub fn heartbeat_windows() -> Vec<u8> {
		pallet_attestation::HeartbeatWindows::<Runtime>::storage_value_final_key().to_vec()
	}
	pub fn heartbeat(machine: MachineId) -> Vec<u8> {
		pallet_attestation::Heartbeats::<Runtime>::storage_map_final_key(machine)
	}
	pub fn lease_attestation(lease: LeaseId) -> Vec<u8> {
		pallet_attestation::LeaseAttestations::<Runtime>::storage_map_final_key(lease)
	}
	pub fn machine_leases(machine: MachineId) -> Vec<u8> {
		pallet_leases::MachineLeases::<Runtime>::storage_map_final_key(machine)
	}
	pub fn lease(lease: LeaseId) -> Vec<u8> {
		pallet_leases::Leases::<Runtime>::storage_map_final_key(lease)
	}
	pub fn machine(machine: MachineId) -> Vec<u8> {
		pallet_marketplace::Machines::<Runtime>::storage_map_final_key(machine)
	}
	pub fn machine_of_key(key: WorkerKey) -> Vec<u8> {
		pallet_marketplace::MachineOfWorkerKey::<Runtime>::storage_map_final_key(key)
	}
	pub fn gpu_class(class: GpuClassId) -> Vec<u8> {
		pallet_marketplace::GpuClasses::<Runtime>::storage_map_final_key(class)
	}
	pub fn bond(provider: &gpux_primitives::AccountId) -> Vec<u8> {
		pallet_provider_staking::Bonds::<Runtime>::storage_map_final_key(provider)
	}
	pub fn events() -> Vec<u8> {
		gpux_client::tx::events_key()
	}
}

/// Recent raw readings the worker keeps, whose Merkle root each heartbeat carries, so a later
/// audit can ask for them.
#[derive(Default)]
pub struct Samples {
	leaves: std::collections::VecDeque<Hash32>,
}

impl Samples {
	/// Readings kept: a heartbeat window's worth at one reading per block, and then some.
	const KEPT: usize = 64;

	/// Records a reading; returns the root over the readings kept.
	pub fn record(&mut self, report: &GpuReport) -> Hash32 {
		self.leaves.push_back(blake2_256(format!("{report:?}").as_bytes()));
		while self.leaves.len() > Self::KEPT {
			self.leaves.pop_front();
		}
		merkle_root(self.leaves.make_contiguous())
	}
}

/// A heartbeat's telemetry from a reading: each reading that failed stays missing, a lost GPU
/// is reported lost. GPUs beyond the chain's bound are left out.
pub fn telemetry(report: &GpuReport, samples_root: Hash32) -> Telemetry {
	let u32_of = |v: u64| v.min(u64::from(u32::MAX)) as u32;
	let gpus: Vec<GpuTelemetry> = report
		.gpus
		.iter()
		.take(MAX_GPUS_PER_MACHINE as usize)
		.map(|gpu| GpuTelemetry {
			uuid_hash: blake2_128(gpu.uuid.as_bytes()),
			lost: gpu.lost,
			utilization_pct: gpu.utilization_percent.map(|p| p.min(100) as u8),
			memory_used_mib: gpu.memory_used_mib.map(u32_of),
			memory_total_mib: gpu.memory_total_mib.map(u32_of),
			temperature_c: gpu.temperature_c.map(|t| t.min(255) as u8),
			power_w: gpu.power_mw.map(|mw| (mw / 1_000).min(u32::from(u16::MAX)) as u16),
			ecc_errors: gpu.ecc_errors.map(u32_of),
			xid_errors: gpu.xid_errors.map(u32_of),
			retired_pages: gpu.retired_pages,
			remapped_rows: gpu.remapped_rows,
			row_remap_failed: gpu.row_remap_failed,
		})
		.collect();
	let mut driver = report.driver_version.clone().into_bytes();
	driver.truncate(gpux_primitives::attestation::MAX_DRIVER_VERSION_LEN as usize);
	Telemetry {
		gpus: gpus.try_into().unwrap_or_default(),
		driver_version: driver.try_into().unwrap_or_default(),
		samples_root,
	}
}

/// A model name reduced to what tells GPUs apart: `NVIDIA GeForce RTX 4090` and `Simulated
/// RTX4090` both become `RTX4090`.
pub fn model_key(name: &str) -> String {
	let upper = name.to_ascii_uppercase();
	let mut key: String = upper.chars().filter(char::is_ascii_alphanumeric).collect();
	for noise in ["SIMULATED", "NVIDIA", "GEFORCE"] {
		key = key.replace(noise, "");
	}
	key
}

/// What `register` declares besides the GPUs.
pub struct HostFacts {
	pub cpu_cores: u32,
	pub ram_gib: u32,
	pub disk_gib: u32,
	pub bandwidth_up_mbps: u32,
	pub bandwidth_down_mbps: u32,
}

/// The machine's spec from a reading, in GPU class `class`; `None` without a GPU whose memory
/// and compute capability could be read.
pub fn machine_spec(
	report: &GpuReport,
	class: GpuClassId,
	host: &HostFacts,
) -> Option<MachineSpec> {
	let first = report.gpus.first()?;
	let (major, minor) = first.compute_capability?;
	Some(MachineSpec {
		gpu_class: class,
		gpu_count: report.gpus.len() as u32,
		vram_gib_per_gpu: first.memory_total_mib?.div_ceil(1024) as u32,
		compute_capability: ComputeCapability { major, minor },
		cpu_cores: host.cpu_cores,
		ram_gib: host.ram_gib,
		disk_gib: host.disk_gib,
		bandwidth_up_mbps: host.bandwidth_up_mbps,
		bandwidth_down_mbps: host.bandwidth_down_mbps,
	})
}

/// This host's memory, GiB, from `/proc/meminfo`.
pub fn host_ram_gib() -> u32 {
	std::fs::read_to_string("/proc/meminfo")
		.ok()
		.and_then(|text| {
			let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
			let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
			Some((kib / (1024 * 1024)) as u32)
		})
		.unwrap_or(0)
}

#[cfg(test)]
mod tests {
	use sp_core::sr25519;

	use super::*;
	use crate::gpu::{GpuProbe, SimulatedGpus};

	#[test]
	fn model_names_from_nvml_the_simulation_and_the_chain_match() {
		assert_eq!(model_key("NVIDIA GeForce RTX 4090"), "RTX4090");
		assert_eq!(model_key("Simulated RTX4090"), "RTX4090");
		assert_eq!(model_key("NVIDIA H100 80GB"), "H10080GB");
	}

	#[test]
	fn telemetry_and_spec_come_from_the_reading() {
		let report = "2xRTX4090".parse::<SimulatedGpus>().unwrap().read().unwrap();
		let mut samples = Samples::default();
		let root = samples.record(&report);
		let t = telemetry(&report, root);
		assert_eq!(t.gpus.len(), 2);
		assert_ne!(t.gpus[0].uuid_hash, t.gpus[1].uuid_hash);
		assert_eq!(t.gpus[0].power_w, Some(30));
		assert_eq!(t.samples_root, root);
		// A reading that failed stays missing; a lost GPU is reported lost.
		let mut degraded = report.clone();
		degraded.gpus[0].temperature_c = None;
		degraded.gpus[1] = crate::gpu::GpuReading {
			index: 1,
			uuid: report.gpus[1].uuid.clone(),
			lost: true,
			..Default::default()
		};
		let d = telemetry(&degraded, root);
		assert_eq!((d.gpus[0].temperature_c, d.gpus[0].power_w), (None, Some(30)));
		assert!(d.gpus[1].lost && d.gpus[1].memory_total_mib.is_none());
		assert_eq!(d.gpu_set(), t.gpu_set(), "a lost GPU is still this machine's");
		assert!(!d.matches_spec(2, 24) && t.matches_spec(2, 24));
		let host = HostFacts {
			cpu_cores: 8,
			ram_gib: 32,
			disk_gib: 500,
			bandwidth_up_mbps: 100,
			bandwidth_down_mbps: 100,
		};
		let spec = machine_spec(&report, 0, &host).unwrap();
		assert_eq!((spec.gpu_count, spec.vram_gib_per_gpu), (2, 24));
		assert_eq!((spec.compute_capability.major, spec.compute_capability.minor), (8, 9));
	}

	#[test]
	fn a_heartbeat_extrinsic_is_a_bare_attestation_call() {
		let report = "1xRTX4090".parse::<SimulatedGpus>().unwrap().read().unwrap();
		let call = AttestationCall::heartbeat {
			machine: 0,
			window: 3,
			telemetry: telemetry(&report, [0; 32]),
			signature: sr25519::Signature::from_raw([0; 64]),
		};
		let xt = bare(call.clone());
		let decoded = <UncheckedExtrinsic as codec::Decode>::decode(&mut &xt[..]).unwrap();
		assert_eq!(decoded.function, RuntimeCall::Attestation(call));
	}
}
