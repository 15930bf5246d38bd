//! Real GPUs through NVML. `libnvidia-ml.so` is loaded when the probe starts, so the worker
//! builds and runs (with `--simulate`) on machines without the NVIDIA driver.

use nvml_wrapper::{
	enum_wrappers::device::{EccCounter, MemoryError, TemperatureSensor},
	Nvml,
};

use super::{GpuProbe, GpuReading, GpuReport};
use crate::error::Error;

const MIB: u64 = 1024 * 1024;

/// Reads GPUs through the NVIDIA Management Library.
pub struct NvmlProbe {
	nvml: Nvml,
}

impl NvmlProbe {
	/// Loads NVML; fails with a message naming the way out when the driver is missing.
	pub fn new() -> Result<Self, Error> {
		Nvml::init().map(|nvml| Self { nvml }).map_err(|e| Error::NvmlUnavailable(e.to_string()))
	}
}

impl GpuProbe for NvmlProbe {
	fn read(&self) -> Result<GpuReport, Error> {
		let nvml_err = |what: &'static str| {
			move |e: nvml_wrapper::error::NvmlError| Error::Nvml(what, e.to_string())
		};
		let cuda = self.nvml.sys_cuda_driver_version().map_err(nvml_err("CUDA driver version"))?;
		let mut gpus = Vec::new();
		for index in 0..self.nvml.device_count().map_err(nvml_err("device count"))? {
			let device = self.nvml.device_by_index(index).map_err(nvml_err("device"))?;
			let memory = device.memory_info().map_err(nvml_err("memory"))?;
			gpus.push(GpuReading {
				index,
				name: device.name().map_err(nvml_err("name"))?,
				uuid: device.uuid().map_err(nvml_err("UUID"))?,
				memory_total_mib: memory.total / MIB,
				memory_used_mib: memory.used / MIB,
				utilization_percent: device
					.utilization_rates()
					.map_err(nvml_err("utilization"))?
					.gpu,
				temperature_c: device
					.temperature(TemperatureSensor::Gpu)
					.map_err(nvml_err("temperature"))?,
				power_mw: device.power_usage().map_err(nvml_err("power"))?,
				// Consumer GPUs have no ECC: that is a fact to report, not a failure.
				ecc_errors: device
					.total_ecc_errors(MemoryError::Uncorrected, EccCounter::Aggregate)
					.ok(),
				compute_capability: device
					.cuda_compute_capability()
					.map(|c| (c.major.clamp(0, 255) as u8, c.minor.clamp(0, 255) as u8))
					.map_err(nvml_err("compute capability"))?,
			});
		}
		Ok(GpuReport {
			driver_version: self.nvml.sys_driver_version().map_err(nvml_err("driver version"))?,
			cuda_version: format!(
				"{}.{}",
				nvml_wrapper::cuda_driver_version_major(cuda),
				nvml_wrapper::cuda_driver_version_minor(cuda)
			),
			gpus,
			simulated: false,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// CI machines have no NVIDIA driver: the probe must say so, not crash.
	#[test]
	fn without_the_driver_the_probe_explains_itself() {
		match NvmlProbe::new() {
			Ok(probe) => assert!(probe.read().is_ok(), "NVML is here: reading must work"),
			Err(e) => {
				let message = e.to_string();
				assert!(message.contains("NVML") && message.contains("--simulate"), "{message}");
			},
		}
	}
}
