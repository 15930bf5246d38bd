//! Confidential-computing evidence: on GPUs in NVIDIA confidential-computing mode (Hopper and
//! later), each GPU's attestation report signs a nonce the worker gives it. For a challenge the
//! nonce is `cc_nonce(seed)`, so the reports were made after the challenge was issued; the
//! worker keeps them in a file in the format of NVIDIA's `nvattest collect-evidence` and
//! attests the file's blake2-256 hash on chain (`attestation.attestGpuEvidence`). Anyone
//! holding the file checks it against the chain with `gpux-worker check-evidence`, and the
//! reports' signatures against NVIDIA's certificate chain with `nvattest attest --gpu-evidence`
//! (docs/attestation.md, "Where the hardware offers it").

use base64::{engine::general_purpose::STANDARD, Engine};
use gpux_primitives::{attestation::cc_nonce, challenge::Hash32};
use serde::{Deserialize, Serialize};
use sp_crypto_hashing::blake2_256;

use crate::error::Error;

/// The SPDM `GET_MEASUREMENTS` request code, the first message of a GPU's attestation report.
const GET_MEASUREMENTS: u8 = 0xE0;
/// Where the request's 32-byte nonce starts: after version, code and two parameters.
const NONCE_AT: usize = 4;

/// One GPU's evidence, as `nvattest collect-evidence` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuEvidence {
	pub version: String,
	/// `HOPPER` or `BLACKWELL`.
	pub arch: String,
	/// The nonce the report signs, hex.
	pub nonce: String,
	pub vbios_version: String,
	pub driver_version: String,
	/// The attestation report (SPDM request and signed response), base64.
	pub evidence: String,
	/// The GPU's attestation certificate chain (PEM), base64.
	pub certificate: String,
}

impl GpuEvidence {
	/// The evidence of one GPU from NVML's raw `report` and PEM `certificates`.
	pub fn new(
		arch: &str,
		nonce: &[u8; 32],
		vbios_version: String,
		driver_version: String,
		report: &[u8],
		certificates: &[u8],
	) -> Self {
		Self {
			version: "1.0".into(),
			arch: arch.into(),
			nonce: hex::encode(nonce),
			vbios_version,
			driver_version,
			evidence: STANDARD.encode(report),
			certificate: STANDARD.encode(certificates),
		}
	}
}

/// The file the worker keeps per challenge and attests the hash of: `nvattest
/// collect-evidence`'s output, result fields included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
	pub evidences: Vec<GpuEvidence>,
	#[serde(default)]
	pub result_code: u32,
	#[serde(default)]
	pub result_message: String,
}

impl EvidenceFile {
	/// A successful collection of `evidences`.
	pub fn new(evidences: Vec<GpuEvidence>) -> Self {
		Self { evidences, result_code: 0, result_message: "Ok".into() }
	}

	/// The file's bytes: what is hashed, kept and handed to a checker, byte for byte.
	pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
		serde_json::to_vec_pretty(self).map_err(|e| Error::Evidence(e.to_string()))
	}
}

/// The architecture `nvattest` expects for compute capability `major`, where NVIDIA offers
/// confidential computing.
pub fn arch_of(major: u8) -> Option<&'static str> {
	match major {
		9 => Some("HOPPER"),
		10 | 12 => Some("BLACKWELL"),
		_ => None,
	}
}

/// Why an evidence file does not answer a challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
	#[error("not an evidence file: {0}")]
	Malformed(String),
	#[error("the file holds no GPU's evidence")]
	Empty,
	#[error("the file's blake2-256 hash is 0x{found}, the chain's is 0x{expected}")]
	HashMismatch { found: String, expected: String },
	#[error("GPU {index}: the nonce is {found}, the challenge's is {expected}")]
	NonceMismatch { index: usize, found: String, expected: String },
	#[error("GPU {index}: the report does not open with a GET_MEASUREMENTS request signing the challenge's nonce")]
	ReportNonceMismatch { index: usize },
}

/// Checks `bytes` (an evidence file) against a challenge: its hash is `attested` (the
/// `GpuEvidenceAttested` event's), and every GPU's report was requested with the nonce of the
/// challenge seeded by `seed`. Returns the number of GPUs. The reports' signatures and
/// certificates are `nvattest`'s to check.
pub fn check(bytes: &[u8], seed: &Hash32, attested: &Hash32) -> Result<usize, EvidenceError> {
	let found = blake2_256(bytes);
	if found != *attested {
		return Err(EvidenceError::HashMismatch {
			found: hex::encode(found),
			expected: hex::encode(attested),
		});
	}
	let file: EvidenceFile =
		serde_json::from_slice(bytes).map_err(|e| EvidenceError::Malformed(e.to_string()))?;
	if file.evidences.is_empty() {
		return Err(EvidenceError::Empty);
	}
	let nonce = cc_nonce(seed);
	for (index, gpu) in file.evidences.iter().enumerate() {
		if gpu.nonce != hex::encode(nonce) {
			return Err(EvidenceError::NonceMismatch {
				index,
				found: gpu.nonce.clone(),
				expected: hex::encode(nonce),
			});
		}
		let report = STANDARD
			.decode(&gpu.evidence)
			.map_err(|e| EvidenceError::Malformed(format!("GPU {index}'s evidence: {e}")))?;
		let requested = report.get(NONCE_AT..NONCE_AT + 32);
		if report.get(1) != Some(&GET_MEASUREMENTS) || requested != Some(&nonce[..]) {
			return Err(EvidenceError::ReportNonceMismatch { index });
		}
	}
	Ok(file.evidences.len())
}

/// A stand-in report for `--simulate`: an SPDM `GET_MEASUREMENTS` request carrying `nonce`,
/// then a marker. It has the shape `check` reads and no signature: `nvattest` refuses it.
pub fn simulated_report(nonce: &[u8; 32], uuid: &str) -> Vec<u8> {
	let mut report = vec![0x11, GET_MEASUREMENTS, 0x01, 0xFF];
	report.extend_from_slice(nonce);
	report.push(0x00);
	report.extend_from_slice(format!("simulated report of {uuid}, unsigned").as_bytes());
	report
}

#[cfg(test)]
mod tests {
	use super::*;

	fn file_for(seed: &Hash32, gpus: usize) -> Vec<u8> {
		let nonce = cc_nonce(seed);
		let evidences = (0..gpus)
			.map(|i| {
				let report = simulated_report(&nonce, &format!("GPU-{i}"));
				GpuEvidence::new("HOPPER", &nonce, "96.00".into(), "575.51".into(), &report, b"PEM")
			})
			.collect();
		EvidenceFile::new(evidences).to_bytes().unwrap()
	}

	#[test]
	fn a_file_checks_out_against_its_challenge_and_hash() {
		let seed = [3u8; 32];
		let bytes = file_for(&seed, 2);
		assert_eq!(check(&bytes, &seed, &blake2_256(&bytes)), Ok(2));
		// The format is nvattest's: the fields it reads, base64 where it expects it.
		let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
		let gpu = &json["evidences"][1];
		assert_eq!(gpu["arch"], "HOPPER");
		assert_eq!(gpu["nonce"], hex::encode(cc_nonce(&seed)));
		assert_eq!(gpu["certificate"], STANDARD.encode(b"PEM"));
	}

	#[test]
	fn another_challenge_another_file_or_an_altered_one_is_refused() {
		let seed = [3u8; 32];
		let bytes = file_for(&seed, 1);
		let hash = blake2_256(&bytes);
		// Another challenge's seed: the nonce is not its.
		assert!(matches!(
			check(&bytes, &[4u8; 32], &hash),
			Err(EvidenceError::NonceMismatch { index: 0, .. })
		));
		// One byte changed: not the attested file.
		let mut altered = bytes.clone();
		let last = altered.len() - 2;
		altered[last] ^= 1;
		assert!(matches!(check(&altered, &seed, &hash), Err(EvidenceError::HashMismatch { .. })));
		// The nonce field rewritten to the challenge's over an old report: the report says so.
		let mut file: EvidenceFile = serde_json::from_slice(&bytes).unwrap();
		let old = simulated_report(&cc_nonce(&[9u8; 32]), "GPU-0");
		file.evidences[0].evidence = STANDARD.encode(old);
		let forged = file.to_bytes().unwrap();
		assert_eq!(
			check(&forged, &seed, &blake2_256(&forged)),
			Err(EvidenceError::ReportNonceMismatch { index: 0 })
		);
		// No GPUs, or not JSON at all.
		let empty = EvidenceFile::new(vec![]).to_bytes().unwrap();
		assert_eq!(check(&empty, &seed, &blake2_256(&empty)), Err(EvidenceError::Empty));
		assert!(matches!(
			check(b"{}", &seed, &blake2_256(b"{}")),
			Err(EvidenceError::Malformed(_))
		));
	}

	#[test]
	fn confidential_computing_architectures() {
		assert_eq!(arch_of(9), Some("HOPPER"));
		assert_eq!(arch_of(10), Some("BLACKWELL"));
		assert_eq!(arch_of(8), None);
	}
}
