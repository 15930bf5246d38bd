//! What machines attest and validators verify: heartbeat telemetry, lease endpoints, revealed
//! challenge rows, and the exact bytes the worker and verifier keys sign. The worker and the
//! attestation pallet both build messages here, so they cannot drift apart.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{crypto::KeyTypeId, ConstU32};
use sp_crypto_hashing::blake2_256;
use sp_runtime::BoundedVec;

use crate::{challenge::Hash32, LeaseId, MachineId};

/// Most GPUs one heartbeat reports (and one machine has).
pub const MAX_GPUS_PER_MACHINE: u32 = 16;
/// Longest NVIDIA driver version string, bytes.
pub const MAX_DRIVER_VERSION_LEN: u32 = 32;
/// Longest endpoint host name (a DNS name's limit).
pub const MAX_ENDPOINT_HOST_LEN: u32 = 253;
/// Most rows one challenge may have (the largest genesis class has 8.58 M).
pub const MAX_CHALLENGE_ROWS: u32 = 1 << 24;
/// Deepest Merkle proof: enough for `MAX_CHALLENGE_ROWS` rows.
pub const MAX_PROOF_DEPTH: u32 = 24;
/// Most rounds one challenge may have: a verifier recomputes a revealed row in `rounds` ×
/// `WIDTH`² multiply-adds, so this bounds what checking costs (4 × the default 256).
pub const MAX_CHALLENGE_ROUNDS: u32 = 1024;
/// Values in a challenge row.
pub const ROW_WIDTH: u32 = crate::challenge::rounds::WIDTH as u32;
/// Most rows one challenge can ask to reveal.
pub const MAX_REVEALED_ROWS: u32 = 8;

/// Key type of the validators' offchain-worker key that signs challenge verdicts.
pub const GPUX_KEY_TYPE: KeyTypeId = KeyTypeId(*b"gpux");

/// The validators' verdict-signing key (sr25519, key type `gpux`).
pub mod verifier {
	use sp_application_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::GPUX_KEY_TYPE);
}

/// A validator's verdict-signing public key.
pub type VerifierId = verifier::Public;
/// A signature by a `VerifierId`.
pub type VerifierSignature = verifier::Signature;

/// Identifies a proof-of-GPU challenge.
pub type ChallengeId = u64;

/// One GPU as a heartbeat reports it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct GpuTelemetry {
	/// blake2-128 of the GPU's UUID: stable per GPU, without publishing the UUID.
	pub uuid_hash: [u8; 16],
	/// NVML could not reach the GPU at all (fallen off the bus, its handle failed): it has no
	/// readings and does not count toward the machine's spec.
	pub lost: bool,
	/// Percent of time a kernel ran over the last sample period (0–100). `None`, here and in
	/// every reading below: the driver could not read it this time (or does not offer it on
	/// this GPU); one missing reading does not hold back the rest of the heartbeat.
	pub utilization_pct: Option<u8>,
	/// Memory in use, MiB.
	pub memory_used_mib: Option<u32>,
	/// Memory in all, MiB, as the driver reports it (a little under the nominal size).
	pub memory_total_mib: Option<u32>,
	/// Core temperature, °C.
	pub temperature_c: Option<u8>,
	/// Power draw, W.
	pub power_w: Option<u16>,
	/// Uncorrected ECC errors over the GPU's lifetime (`None` where ECC is off).
	pub ecc_errors: Option<u32>,
	/// Critical Xid errors the driver reported since the worker started.
	pub xid_errors: Option<u32>,
	/// Memory pages retired for ECC errors (GPUs before Ampere).
	pub retired_pages: Option<u32>,
	/// Memory rows remapped for uncorrectable errors (Ampere and later).
	pub remapped_rows: Option<u32>,
	/// A row remapping failed: the GPU needs service (Ampere and later).
	pub row_remap_failed: bool,
}

/// What one heartbeat carries.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Telemetry {
	/// Each GPU of the machine.
	pub gpus: BoundedVec<GpuTelemetry, ConstU32<MAX_GPUS_PER_MACHINE>>,
	/// The NVIDIA driver version, e.g. `550.54.15`.
	pub driver_version: BoundedVec<u8, ConstU32<MAX_DRIVER_VERSION_LEN>>,
	/// Merkle root of the raw samples the worker keeps, so they can be audited later.
	pub samples_root: Hash32,
}

impl Telemetry {
	/// blake2-256 of the GPUs' sorted UUID hashes: which physical GPUs the machine has.
	pub fn gpu_set(&self) -> Hash32 {
		let mut ids: Vec<[u8; 16]> = self.gpus.iter().map(|gpu| gpu.uuid_hash).collect();
		ids.sort_unstable();
		blake2_256(&ids.encode())
	}

	/// Distinct GPUs reported and not lost: one GPU reported twice counts once.
	pub fn usable_gpus(&self) -> u32 {
		let mut ids: Vec<[u8; 16]> =
			self.gpus.iter().filter(|gpu| !gpu.lost).map(|gpu| gpu.uuid_hash).collect();
		ids.sort_unstable();
		ids.dedup();
		ids.len() as u32
	}

	/// Whether this agrees with a spec of `gpu_count` GPUs of `vram_gib` each: as many
	/// distinct GPUs that are not lost (one GPU reported twice does not count twice), each
	/// with at least 90% of the nominal memory where it was read (drivers report a little
	/// less, and vendors count in GB), and a driver. A memory reading that failed is not held
	/// against the GPU; a lost GPU is not counted.
	pub fn matches_spec(&self, gpu_count: u32, vram_gib: u32) -> bool {
		let least_mib = u64::from(vram_gib).saturating_mul(1024).saturating_mul(9) / 10;
		self.usable_gpus() == gpu_count
			&& !self.driver_version.is_empty()
			&& self
				.gpus
				.iter()
				.filter_map(|gpu| gpu.memory_total_mib)
				.all(|mib| u64::from(mib) >= least_mib)
	}
}

/// How a renter reaches a lease.
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
)]
pub enum AccessMethod {
	Ssh,
	Jupyter,
	Api,
}

/// Where a lease was delivered, and what the renter needs to trust it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Endpoint {
	/// Host name or address, ASCII.
	pub host: BoundedVec<u8, ConstU32<MAX_ENDPOINT_HOST_LEN>>,
	/// The port of `method` (SSH's, for an SSH lease).
	pub port: u16,
	pub method: AccessMethod,
	/// SHA-256 of the workspace's SSH host key blob: what OpenSSH prints as `SHA256:` and the
	/// base64 of these bytes, so the renter can check the first connection. `None` where the
	/// backend runs no sshd of its own.
	pub host_key_fingerprint: Option<Hash32>,
	/// Jupyter, when the listing offers it and the renter gave a seal key.
	pub jupyter: Option<JupyterEndpoint>,
}

/// Longest sealed Jupyter token: a libsodium sealed box (48 bytes) around an 80-byte token.
pub const MAX_SEALED_TOKEN_LEN: u32 = 128;

/// A lease's Jupyter server.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct JupyterEndpoint {
	/// Its port on the endpoint's host (HTTP).
	pub port: u16,
	/// Its per-lease token, sealed to the renter's `sealKey` (libsodium `crypto_box_seal`:
	/// an ephemeral x25519 key, then the token encrypted and authenticated), so only the
	/// renter can read it.
	pub sealed_token: BoundedVec<u8, ConstU32<MAX_SEALED_TOKEN_LEN>>,
}

/// A challenge's size: `rows` int8 rows of `ROW_WIDTH`, each taken through `rounds` rounds
/// (`gpux_primitives::challenge::rounds`). The prover's work grows with both; a verifier's
/// check of one row with `rounds` only.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub struct ChallengeSize {
	pub rows: u32,
	pub rounds: u32,
}

impl ChallengeSize {
	/// Whether both are at least one and within `MAX_CHALLENGE_ROWS` and
	/// `MAX_CHALLENGE_ROUNDS`.
	pub fn is_valid(&self) -> bool {
		(1..=MAX_CHALLENGE_ROWS).contains(&self.rows)
			&& (1..=MAX_CHALLENGE_ROUNDS).contains(&self.rounds)
	}
}

/// One revealed final row of a challenge with its Merkle proof.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct RevealedRow {
	/// Which row.
	pub index: u32,
	/// The row's `ROW_WIDTH` values after the last round.
	pub values: BoundedVec<i8, ConstU32<ROW_WIDTH>>,
	/// Siblings from the row's leaf up to the committed root.
	pub proof: BoundedVec<Hash32, ConstU32<MAX_PROOF_DEPTH>>,
}

impl RevealedRow {
	/// Whether the row sits at its index under `root` among `n` rows.
	pub fn proves(&self, root: &Hash32, n: u32) -> bool {
		let leaf = crate::challenge::rounds::leaf(&self.values);
		self.values.len() == ROW_WIDTH as usize
			&& crate::challenge::verify_proof(
				root,
				self.index as usize,
				n as usize,
				&leaf,
				&self.proof,
			)
	}
}

impl RevealedRow {
	/// What the chain and a validator check together: the row sits at its index under `root`,
	/// and it is final row `index` of the challenge seeded by `seed` (recomputed in `rounds` ×
	/// `ROW_WIDTH`² multiply-adds).
	pub fn checks_out(&self, seed: &Hash32, size: &ChallengeSize, root: &Hash32) -> bool {
		self.proves(root, size.rows)
			&& crate::challenge::rounds::final_rows_at(seed, &[self.index], size.rounds)
				.first()
				.is_some_and(|row| row[..] == self.values[..])
	}
}

/// The rows revealed for one challenge.
pub type RevealedRows = BoundedVec<RevealedRow, ConstU32<MAX_REVEALED_ROWS>>;

/// What a machine's worker key signs. Bulky payloads are signed by hash.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub enum WorkerStatement {
	/// The machine is up in heartbeat window `window`, with this telemetry.
	Heartbeat { machine: MachineId, window: u32, telemetry: Hash32 },
	/// The Merkle root of the challenge's final rows.
	ChallengeCommitted { challenge: ChallengeId, root: Hash32 },
	/// These rows (hash of their encoding) answer the challenge.
	ChallengeRevealed { challenge: ChallengeId, rows: Hash32 },
	/// The lease's workspace is ready at this endpoint.
	LeaseStarted { lease: LeaseId, endpoint: Endpoint },
	/// The lease's workspace was removed; `digest` summarises what ran.
	LeaseEnded { lease: LeaseId, digest: Hash32 },
	/// The blake2-256 hash of the evidence file holding the GPUs' confidential-computing
	/// attestation reports for the challenge, fetched with [`cc_nonce`] of its seed.
	GpuEvidence { challenge: ChallengeId, evidence: Hash32 },
}

impl WorkerStatement {
	/// The heartbeat statement for `telemetry`.
	pub fn heartbeat(machine: MachineId, window: u32, telemetry: &Telemetry) -> Self {
		Self::Heartbeat { machine, window, telemetry: blake2_256(&telemetry.encode()) }
	}

	/// The reveal statement for `rows`.
	pub fn revealed(challenge: ChallengeId, rows: &RevealedRows) -> Self {
		Self::ChallengeRevealed { challenge, rows: blake2_256(&rows.encode()) }
	}

	/// The bytes the worker key signs: a domain tag and the chain's genesis hash keep a
	/// signature from being replayed on another chain or as another kind of message.
	pub fn signing_message(&self, genesis: &[u8; 32]) -> Vec<u8> {
		(b"gpux/worker", genesis, self).encode()
	}
}

/// The Merkle leaves of a challenge's final `rows`, one per row.
pub fn row_leaves(rows: &[Vec<i8>]) -> Vec<Hash32> {
	rows.iter().map(|row| crate::challenge::rounds::leaf(row)).collect()
}

/// The Merkle root a worker commits for a challenge's final `rows`.
pub fn commit_rows(rows: &[Vec<i8>]) -> Hash32 {
	crate::challenge::merkle_root(&row_leaves(rows))
}

/// The reveal of rows `indices` of `rows`, with their proofs. `None` if an index is out of
/// range or the rows exceed the reveal's bounds.
pub fn reveal_rows(rows: &[Vec<i8>], indices: &[u32]) -> Option<RevealedRows> {
	let tree = crate::challenge::MerkleTree::new(row_leaves(rows));
	reveal_from_tree(&tree, indices, |i| rows.get(i as usize).cloned())
}

/// As `reveal_rows`, for a solver that kept only the tree of its commitment: `row` gives
/// (recomputes) a final row by index.
pub fn reveal_from_tree(
	tree: &crate::challenge::MerkleTree,
	indices: &[u32],
	mut row: impl FnMut(u32) -> Option<Vec<i8>>,
) -> Option<RevealedRows> {
	indices
		.iter()
		.map(|index| {
			let proof = tree.proof(*index as usize)?;
			Some(RevealedRow {
				index: *index,
				values: row(*index)?.try_into().ok()?,
				proof: proof.try_into().ok()?,
			})
		})
		.collect::<Option<Vec<_>>>()?
		.try_into()
		.ok()
}

/// The nonce a challenged machine's GPUs sign into their confidential-computing attestation
/// reports: derived from the challenge's seed, unknown until the block before the issue, so a
/// report cannot have been fetched earlier.
pub fn cc_nonce(seed: &Hash32) -> [u8; 32] {
	blake2_256(&(b"gpux/cc", seed).encode())
}

/// The bytes a verifier key signs for a verdict on `challenge`.
pub fn verdict_message(genesis: &[u8; 32], challenge: ChallengeId, passed: bool) -> Vec<u8> {
	(b"gpux/verdict", genesis, challenge, passed).encode()
}

/// The bytes a verifier key signs to anchor its beacon hash chain at `anchor` before round
/// `round`: the round number keeps an old anchor from being replayed to rewind the chain.
pub fn beacon_anchor_message(genesis: &[u8; 32], round: u32, anchor: &Hash32) -> Vec<u8> {
	(b"gpux/beacon-anchor", genesis, round, anchor).encode()
}

/// The bytes a verifier key signs to reveal `value` in beacon round `round`.
pub fn beacon_reveal_message(genesis: &[u8; 32], round: u32, value: &Hash32) -> Vec<u8> {
	(b"gpux/beacon-reveal", genesis, round, value).encode()
}

/// The bytes a worker key signs to prove it is held by `provider`'s machine: registering or
/// rotating a key needs this signature, so nobody can register (squat) a key they do not hold.
pub fn key_possession_message<AccountId: Encode>(
	genesis: &[u8; 32],
	provider: &AccountId,
) -> Vec<u8> {
	(b"gpux/key-owner", genesis, provider).encode()
}

/// A block hash as the 32 bytes signed messages carry (zero-padded if shorter).
pub fn hash32(hash: impl AsRef<[u8]>) -> Hash32 {
	let mut out = [0u8; 32];
	let bytes = hash.as_ref();
	let n = bytes.len().min(32);
	out[..n].copy_from_slice(&bytes[..n]);
	out
}

/// The `k` distinct row indices (of `n`) a challenge must reveal, drawn from `seed` and `draw`,
/// the epoch's row draw (the verifiers' beacon output after every commit deadline), so the
/// worker cannot know them before it commits. All rows when `k >= n`;
/// indices ascend. The chain and the worker both call this, so they draw the same rows.
pub fn drawn_rows(seed: &Hash32, draw: &[u8], n: u32, k: u32) -> Vec<u32> {
	let draw = blake2_256(draw);
	if n == 0 {
		return Vec::new();
	}
	if k >= n {
		return (0..n).collect();
	}
	let mut rows: Vec<u32> = Vec::with_capacity(k as usize);
	// Duplicates are rare for n ≫ k; the bound keeps the loop finite whatever the hashes.
	for counter in 0..k.saturating_mul(16) {
		if rows.len() == k as usize {
			break;
		}
		let h = blake2_256(&(seed, &draw, counter).encode());
		let row = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % n;
		if !rows.contains(&row) {
			rows.push(row);
		}
	}
	let mut next = 0;
	while rows.len() < k as usize {
		if !rows.contains(&next) {
			rows.push(next);
		}
		next += 1;
	}
	rows.sort_unstable();
	rows
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::challenge::{
		merkle_proof, merkle_root,
		rounds::{final_rows, leaf},
	};

	#[test]
	fn drawn_rows_are_distinct_in_range_and_depend_on_the_draw() {
		let seed = [7u8; 32];
		let a = drawn_rows(&seed, &[1u8; 32], 64, 4);
		let b = drawn_rows(&seed, &[2u8; 32], 64, 4);
		assert_eq!(a.len(), 4);
		assert!(a.windows(2).all(|w| w[0] < w[1]) && a.iter().all(|r| *r < 64));
		assert_ne!(a, b);
		assert_eq!(drawn_rows(&seed, &[1u8; 32], 3, 4), vec![0, 1, 2]);
		assert_eq!(drawn_rows(&seed, &[1u8; 32], 0, 4), Vec::<u32>::new());
	}

	#[test]
	fn a_revealed_row_proves_only_its_own_place() {
		let (seed, size) = ([3u8; 32], ChallengeSize { rows: 8, rounds: 2 });
		let rows = final_rows(&seed, 8, 2);
		let leaves: Vec<_> = rows.iter().map(|r| leaf(r)).collect();
		let root = merkle_root(&leaves);
		let reveal = |index: u32| RevealedRow {
			index,
			values: rows[index as usize].clone().try_into().unwrap(),
			proof: merkle_proof(&leaves, index as usize).unwrap().try_into().unwrap(),
		};
		assert!(reveal(5).proves(&root, 8));
		let mut moved = reveal(5);
		moved.index = 4;
		assert!(!moved.proves(&root, 8));
		let mut tampered = reveal(5);
		tampered.values[0] ^= 1;
		assert!(!tampered.proves(&root, 8));
		assert!(!reveal(5).proves(&root, 9));
		let mut short = reveal(5);
		short.values.pop();
		assert!(!short.proves(&root, 8), "a row of the wrong width");
		assert!(reveal(5).checks_out(&seed, &size, &root));
		assert!(!reveal(5).checks_out(&[4u8; 32], &size, &root), "another seed");
		assert!(!reveal(5).checks_out(&seed, &ChallengeSize { rounds: 3, ..size }, &root));
		assert_eq!(reveal_rows(&rows, &[5]).unwrap()[0], reveal(5));
		assert!(reveal_rows(&rows, &[8]).is_none());
	}

	#[test]
	fn challenge_sizes_are_bounded_both_ways() {
		let size = |rows, rounds| ChallengeSize { rows, rounds };
		assert!(size(1, 1).is_valid() && size(MAX_CHALLENGE_ROWS, MAX_CHALLENGE_ROUNDS).is_valid());
		assert!(!size(0, 1).is_valid() && !size(1, 0).is_valid());
		assert!(!size(MAX_CHALLENGE_ROWS + 1, 1).is_valid());
		assert!(!size(1, MAX_CHALLENGE_ROUNDS + 1).is_valid());
		// The deepest proof covers the most rows.
		assert!(1u64 << MAX_PROOF_DEPTH >= u64::from(MAX_CHALLENGE_ROWS));
	}

	#[test]
	fn telemetry_matches_a_spec_only_with_its_gpus_memory_and_a_driver() {
		let gpu = |id: u8, mib: u32| GpuTelemetry {
			uuid_hash: [id; 16],
			memory_total_mib: Some(mib),
			..Default::default()
		};
		let of = |gpus: Vec<GpuTelemetry>, driver: &[u8]| Telemetry {
			gpus: gpus.try_into().unwrap(),
			driver_version: driver.to_vec().try_into().unwrap(),
			samples_root: [0; 32],
		};
		// An RTX 4090 reports 24,564 MiB of its nominal 24 GiB; an L40S 46,068 of 48.
		assert!(of(vec![gpu(1, 24_564), gpu(2, 24_564)], b"550").matches_spec(2, 24));
		assert!(of(vec![gpu(1, 46_068)], b"550").matches_spec(1, 48));
		assert!(!of(vec![gpu(1, 24_564)], b"550").matches_spec(2, 24));
		assert!(!of(vec![gpu(1, 24_564), gpu(1, 24_564)], b"550").matches_spec(2, 24));
		assert!(!of(vec![gpu(1, 16_376)], b"550").matches_spec(1, 24));
		assert!(!of(vec![gpu(1, 24_564)], b"").matches_spec(1, 24));
		// A reading that failed is not held against the GPU; a lost GPU does not count, but
		// stays in the set (it is the same machine).
		let unread = GpuTelemetry { memory_total_mib: None, ..gpu(2, 0) };
		assert!(of(vec![gpu(1, 24_564), unread.clone()], b"550").matches_spec(2, 24));
		let lost = GpuTelemetry { lost: true, ..unread };
		assert!(!of(vec![gpu(1, 24_564), lost.clone()], b"550").matches_spec(2, 24));
		assert_eq!(
			of(vec![gpu(1, 24_564), lost], b"550").gpu_set(),
			of(vec![gpu(1, 24_564), gpu(2, 24_564)], b"550").gpu_set()
		);
		let set = of(vec![gpu(1, 1), gpu(2, 1)], b"550").gpu_set();
		assert_eq!(set, of(vec![gpu(2, 1), gpu(1, 1)], b"550").gpu_set());
		assert_ne!(set, of(vec![gpu(1, 1), gpu(3, 1)], b"550").gpu_set());
	}

	#[test]
	fn statements_of_different_kinds_or_chains_sign_different_bytes() {
		let t = Telemetry::default();
		let hb = WorkerStatement::heartbeat(1, 2, &t);
		assert_ne!(hb.signing_message(&[0; 32]), hb.signing_message(&[1; 32]));
		assert_ne!(
			hb.signing_message(&[0; 32]),
			WorkerStatement::heartbeat(1, 3, &t).signing_message(&[0; 32])
		);
		assert_ne!(verdict_message(&[0; 32], 1, true), verdict_message(&[0; 32], 1, false));
		assert_ne!(
			key_possession_message(&[0; 32], &1u64),
			key_possession_message(&[1; 32], &1u64)
		);
		assert_ne!(
			key_possession_message(&[0; 32], &1u64),
			key_possession_message(&[0; 32], &2u64)
		);
	}
}
