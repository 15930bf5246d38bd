//! GPU sources behind one trait: NVML on real hosts, a simulation elsewhere.

pub mod evidence;
mod nvml;
mod simulated;

pub use nvml::NvmlProbe;
pub use simulated::SimulatedGpus;

use crate::error::Error;

/// One GPU as the worker reads it: what heartbeats carry (DESIGN.md, Attestation). A reading
/// that failed is `None`: one unreadable field, or one lost GPU, degrades that reading, not the
/// whole report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpuReading {
	pub index: u32,
	pub name: String,
	pub uuid: String,
	/// NVML could not reach the GPU at all; its readings are all `None`.
	pub lost: bool,
	pub memory_total_mib: Option<u64>,
	pub memory_used_mib: Option<u64>,
	pub utilization_percent: Option<u32>,
	pub temperature_c: Option<u32>,
	pub power_mw: Option<u32>,
	/// Uncorrected ECC errors over the GPU's lifetime; `None` where ECC is off or unsupported.
	pub ecc_errors: Option<u64>,
	/// Critical Xid errors since the worker started; `None` where events are unsupported.
	pub xid_errors: Option<u64>,
	/// Pages retired for ECC errors (GPUs before Ampere).
	pub retired_pages: Option<u32>,
	/// Rows remapped for uncorrectable errors (Ampere and later).
	pub remapped_rows: Option<u32>,
	/// A row remapping failed (Ampere and later): the GPU needs service.
	pub row_remap_failed: bool,
	/// CUDA compute capability (major, minor).
	pub compute_capability: Option<(u8, u8)>,
}

/// Everything one read of the machine's GPUs returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuReport {
	pub driver_version: String,
	pub cuda_version: String,
	pub gpus: Vec<GpuReading>,
	/// Whether the readings come from `--simulate`.
	pub simulated: bool,
	/// Readings that failed in this read (a field, or a whole GPU), for the error metric.
	pub errors: u32,
}

/// A source of GPU readings.
pub trait GpuProbe: Send + Sync {
	/// Reads every GPU of the machine now.
	fn read(&self) -> Result<GpuReport, Error>;

	/// Every GPU's confidential-computing attestation report signing `nonce`; `None` where
	/// confidential computing is off or not offered (the GPUs before Hopper).
	fn cc_evidence(&self, _nonce: &[u8; 32]) -> Result<Option<Vec<evidence::GpuEvidence>>, Error> {
		Ok(None)
	}
}

/// The probe the command line asks for: the simulation if `--simulate` is given, else NVML,
/// which must then be present.
pub fn probe_for(simulate: Option<SimulatedGpus>) -> Result<Box<dyn GpuProbe>, Error> {
	match simulate {
		Some(gpus) => Ok(Box::new(gpus)),
		None => Ok(Box::new(NvmlProbe::new()?)),
	}
}

impl std::fmt::Display for GpuReport {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		fn or_na<T: std::fmt::Display>(value: Option<T>) -> String {
			value.map_or("n/a".to_string(), |v| v.to_string())
		}
		let source = if self.simulated { " (simulated)" } else { "" };
		writeln!(f, "driver: {}, CUDA {}{source}", self.driver_version, self.cuda_version)?;
		writeln!(f, "gpus: {}", self.gpus.len())?;
		for gpu in &self.gpus {
			if gpu.lost {
				writeln!(f, "  [{}] {}: LOST (NVML cannot reach it)", gpu.index, gpu.uuid)?;
				continue;
			}
			writeln!(
				f,
				"  [{}] {} {}: {}/{} MiB used, {} % busy, {} °C, {} W",
				gpu.index,
				gpu.name,
				gpu.uuid,
				or_na(gpu.memory_used_mib),
				or_na(gpu.memory_total_mib),
				or_na(gpu.utilization_percent),
				or_na(gpu.temperature_c),
				or_na(gpu.power_mw.map(|mw| format!("{:.1}", f64::from(mw) / 1000.0))),
			)?;
			let failed = if gpu.row_remap_failed { " (a remapping FAILED)" } else { "" };
			writeln!(
				f,
				"      ECC errors {}, Xid errors {}, retired pages {}, remapped rows {}{failed}",
				or_na(gpu.ecc_errors),
				or_na(gpu.xid_errors),
				or_na(gpu.retired_pages),
				or_na(gpu.remapped_rows),
			)?;
		}
		if self.errors > 0 {
			writeln!(f, "readings that failed: {}", self.errors)?;
		}
		Ok(())
	}
}
