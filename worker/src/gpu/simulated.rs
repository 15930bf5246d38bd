//! `--simulate COUNTxMODEL`: GPUs that are not there, for machines without NVIDIA hardware
//! (tests, CI, trying the worker out).

use std::str::FromStr;

use super::{
	evidence::{self, GpuEvidence},
	GpuProbe, GpuReading, GpuReport,
};
use crate::error::Error;

/// Largest GPU count one machine may claim; no real chassis holds more.
pub const MAX_GPUS_PER_MACHINE: u32 = 64;

/// `--simulate COUNTxMODEL`: GPUs that are not there, for machines without NVIDIA hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedGpus {
	/// How many GPUs.
	pub count: u32,
	/// The model name, e.g. `RTX4090`.
	pub model: String,
	/// `--simulate-cc`: GPUs of a class that offers it (H100) answer with stand-in
	/// confidential-computing reports.
	pub confidential: bool,
}

impl FromStr for SimulatedGpus {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let bad = || format!("`{s}` is not COUNTxMODEL (e.g. 2xRTX4090)");
		let (count, model) = s.split_once(['x', 'X']).ok_or_else(bad)?;
		let count: u32 = count.parse().map_err(|_| bad())?;
		if count == 0 || count > MAX_GPUS_PER_MACHINE {
			return Err(format!("GPU count must be 1..={MAX_GPUS_PER_MACHINE}, got {count}"));
		}
		if model.is_empty() || !model.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
			return Err(bad());
		}
		Ok(SimulatedGpus { count, model: model.to_string(), confidential: false })
	}
}

/// Memory per GPU (GiB) and compute capability of well-known models, in one table; others get
/// 16 GiB and 8.6 (Ampere).
fn model_facts(model: &str) -> (u64, (u8, u8)) {
	match model.to_ascii_uppercase().as_str() {
		m if m.contains("4090") => (24, (8, 9)),
		m if m.contains("L40") => (48, (8, 9)),
		m if m.contains("A100") => (80, (8, 0)),
		m if m.contains("H100") => (80, (9, 0)),
		_ => (16, (8, 6)),
	}
}

impl GpuProbe for SimulatedGpus {
	/// Idle GPUs with stable, made-up identities: the same on every read.
	fn read(&self) -> Result<GpuReport, Error> {
		let (memory_gib, compute_capability) = model_facts(&self.model);
		let gpus = (0..self.count)
			.map(|index| GpuReading {
				index,
				name: format!("Simulated {}", self.model),
				uuid: format!("GPU-simulated-{}-{index}", self.model.to_ascii_lowercase()),
				lost: false,
				memory_total_mib: Some(memory_gib * 1024),
				memory_used_mib: Some(0),
				utilization_percent: Some(0),
				temperature_c: Some(35),
				power_mw: Some(30_000),
				ecc_errors: Some(0),
				xid_errors: Some(0),
				retired_pages: None,
				remapped_rows: Some(0),
				row_remap_failed: false,
				compute_capability: Some(compute_capability),
			})
			.collect();
		Ok(GpuReport {
			driver_version: "simulated".into(),
			cuda_version: "simulated".into(),
			gpus,
			simulated: true,
			errors: 0,
		})
	}

	fn cc_evidence(&self, nonce: &[u8; 32]) -> Result<Option<Vec<GpuEvidence>>, Error> {
		let (_, (major, _)) = model_facts(&self.model);
		let Some(arch) = evidence::arch_of(major).filter(|_| self.confidential) else {
			return Ok(None);
		};
		let gpus = self.read()?.gpus;
		Ok(Some(
			gpus.iter()
				.map(|gpu| {
					let report = evidence::simulated_report(nonce, &gpu.uuid);
					let pem =
						b"-----BEGIN CERTIFICATE-----\nsimulated\n-----END CERTIFICATE-----\n";
					GpuEvidence::new(
						arch,
						nonce,
						"simulated".into(),
						"simulated".into(),
						&report,
						pem,
					)
				})
				.collect(),
		))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn simulated_gpus_read_the_same_every_time() {
		let gpus: SimulatedGpus = "2xRTX4090".parse().unwrap();
		let report = gpus.read().unwrap();
		assert_eq!(report, gpus.read().unwrap());
		assert!(report.simulated);
		assert_eq!(report.gpus.len(), 2);
		assert_eq!(report.gpus[1].memory_total_mib, Some(24 * 1024));
		assert_ne!(report.gpus[0].uuid, report.gpus[1].uuid);
	}

	#[test]
	fn parses_count_and_model() {
		assert_eq!(
			"2xRTX4090".parse(),
			Ok(SimulatedGpus { count: 2, model: "RTX4090".into(), confidential: false })
		);
		assert_eq!("8XH100".parse::<SimulatedGpus>().unwrap().count, 8);
	}

	#[test]
	fn only_confidential_hopper_gpus_give_evidence() {
		let nonce = [5u8; 32];
		let mut h100: SimulatedGpus = "2xH100".parse().unwrap();
		assert_eq!(h100.cc_evidence(&nonce).unwrap(), None);
		h100.confidential = true;
		let evidence = h100.cc_evidence(&nonce).unwrap().unwrap();
		assert_eq!(evidence.len(), 2);
		assert!(evidence.iter().all(|e| e.arch == "HOPPER" && e.nonce == hex::encode(nonce)));
		let rtx = SimulatedGpus { confidential: true, .."1xRTX4090".parse().unwrap() };
		assert_eq!(rtx.cc_evidence(&nonce).unwrap(), None);
	}

	#[test]
	fn refuses_malformed_specs() {
		for bad in ["", "RTX4090", "0xRTX4090", "65xH100", "2x", "twoxH100", "2xRTX 4090"] {
			assert!(bad.parse::<SimulatedGpus>().is_err(), "{bad} was accepted");
		}
	}
}
