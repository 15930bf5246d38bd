//! GPU sources behind one trait: NVML on real hosts, a simulation elsewhere.

mod nvml;
mod simulated;

pub use nvml::NvmlProbe;
pub use simulated::SimulatedGpus;

use crate::error::Error;

/// One GPU as the worker reads it: what heartbeats carry (DESIGN.md, Attestation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuReading {
	pub index: u32,
	pub name: String,
	pub uuid: String,
	pub memory_total_mib: u64,
	pub memory_used_mib: u64,
	pub utilization_percent: u32,
	pub temperature_c: u32,
	pub power_mw: u32,
	/// Uncorrected ECC errors over the GPU's lifetime; `None` where ECC is off or unsupported.
	pub ecc_errors: Option<u64>,
	/// CUDA compute capability (major, minor).
	pub compute_capability: (u8, u8),
}

/// Everything one read of the machine's GPUs returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuReport {
	pub driver_version: String,
	pub cuda_version: String,
	pub gpus: Vec<GpuReading>,
	/// Whether the readings come from `--simulate`.
	pub simulated: bool,
}

/// A source of GPU readings.
pub trait GpuProbe: Send + Sync {
	/// Reads every GPU of the machine now.
	fn read(&self) -> Result<GpuReport, Error>;
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
		let source = if self.simulated { " (simulated)" } else { "" };
		writeln!(f, "driver: {}, CUDA {}{source}", self.driver_version, self.cuda_version)?;
		writeln!(f, "gpus: {}", self.gpus.len())?;
		for gpu in &self.gpus {
			let ecc = gpu.ecc_errors.map_or("n/a".to_string(), |e| e.to_string());
			writeln!(
				f,
				"  [{}] {} {}: {}/{} MiB used, {} % busy, {} °C, {:.1} W, ECC errors {ecc}",
				gpu.index,
				gpu.name,
				gpu.uuid,
				gpu.memory_used_mib,
				gpu.memory_total_mib,
				gpu.utilization_percent,
				gpu.temperature_c,
				f64::from(gpu.power_mw) / 1000.0,
			)?;
		}
		Ok(())
	}
}
