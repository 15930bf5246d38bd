//! GPU sources. Only the simulated one exists so far; NVML comes with the attestation work.

use std::str::FromStr;

/// Largest GPU count one machine may claim; no real chassis holds more.
pub const MAX_GPUS_PER_MACHINE: u32 = 64;

/// `--simulate COUNTxMODEL`: GPUs that are not there, for machines without NVIDIA hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedGpus {
	/// How many GPUs.
	pub count: u32,
	/// The model name, e.g. `RTX4090`.
	pub model: String,
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
		Ok(SimulatedGpus { count, model: model.to_string() })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parses_count_and_model() {
		assert_eq!("2xRTX4090".parse(), Ok(SimulatedGpus { count: 2, model: "RTX4090".into() }));
		assert_eq!("8XH100".parse::<SimulatedGpus>().unwrap().count, 8);
	}

	#[test]
	fn refuses_malformed_specs() {
		for bad in ["", "RTX4090", "0xRTX4090", "65xH100", "2x", "twoxH100", "2xRTX 4090"] {
			assert!(bad.parse::<SimulatedGpus>().is_err(), "{bad} was accepted");
		}
	}
}
