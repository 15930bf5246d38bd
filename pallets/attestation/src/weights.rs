//! Weights of `pallet-attestation`.
//!
//! Hand-estimated from each call's storage reads and writes (20 µs of compute per access, one
//! sr25519 verification ≈ 50 µs, proof sizes from the records' max encoded length) until
//! `gpux-node benchmark pallet --pallet pallet_attestation` runs on reference hardware; the
//! benchmarks in `benchmarking.rs` already run as tests. `v`: verifiers; `n`: machines checked
//! or challenged; `f`: offline faults reported; `r`: revealed rows of side `s`.

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

/// Weight functions needed for `pallet-attestation`.
pub trait WeightInfo {
	fn heartbeat() -> Weight;
	fn commit_challenge() -> Weight;
	fn reveal_challenge() -> Weight;
	fn submit_verdict(v: u32) -> Weight;
	fn attest_lease_start() -> Weight;
	fn attest_lease_end() -> Weight;
	fn dispute() -> Weight;
	fn resolve_dispute() -> Weight;
	fn set_challenge_size() -> Weight;
	fn set_verifiers(v: u32) -> Weight;
	fn sweep(n: u32, f: u32) -> Weight;
	fn issue_challenges(n: u32) -> Weight;
	fn close_epoch(n: u32) -> Weight;
	fn check_lease_starts(n: u32) -> Weight;
	fn report_fault() -> Weight;
}

const ACCESS: u64 = 20_000_000;
/// One signature check. An unsigned call's signature is checked in `pre_dispatch`, not again
/// in the call; the call's weight pays for it (the state checks run in both, the second time
/// from the overlay's cache).
const VERIFY: u64 = 50_000_000;
/// A heartbeat record with 16 GPUs and its GPU set, bytes.
const HEARTBEAT_PROOF: u64 = 850;
/// A machine record in the marketplace, bytes.
const MACHINE_PROOF: u64 = 300;
/// A challenge record, bytes.
const CHALLENGE_PROOF: u64 = 250;
/// Revealed rows at the largest size (8 rows of 4096 `u32`s), bytes.
const ROWS_PROOF: u64 = 131_200;
/// A lease attestation with a dispute, bytes.
const LEASE_PROOF: u64 = 900;
/// A reputation update. A fault report's own cost is the staking pallet's weight
/// (`FaultReporter::fault_weight`), which the calls and hooks that report add.
const REPUTATION: u64 = 4 * ACCESS;
/// The hash and Merkle checks of the largest reveal: 8 rows × 16 KiB hashed, plus proofs.
const REVEAL_HASHING: u64 = 8 * 40_000_000;

struct Estimate(RuntimeDbWeight);

impl Estimate {
	fn heartbeat(&self) -> Weight {
		// Machine, genesis hash, record, open leases, tracked count; record, slot, count.
		Weight::from_parts(2 * ACCESS + VERIFY, HEARTBEAT_PROOF + MACHINE_PROOF + 200)
			.saturating_add(self.0.reads_writes(5, 3))
	}
	fn commit_challenge(&self) -> Weight {
		Weight::from_parts(2 * ACCESS + VERIFY, CHALLENGE_PROOF + MACHINE_PROOF + 100)
			.saturating_add(self.0.reads_writes(4, 1))
	}
	fn reveal_challenge(&self) -> Weight {
		Weight::from_parts(
			3 * ACCESS + VERIFY + REVEAL_HASHING,
			CHALLENGE_PROOF + MACHINE_PROOF + ROWS_PROOF,
		)
		.saturating_add(self.0.reads_writes(5, 2))
	}
	fn submit_verdict(&self, v: u32) -> Weight {
		// Decoding the verifier set, then deciding: reputation, a fault, clearing verdicts.
		Weight::from_parts(4 * ACCESS + VERIFY + REPUTATION, CHALLENGE_PROOF + 300)
			.saturating_add(Weight::from_parts(500_000, 50).saturating_mul(v.into()))
			.saturating_add(self.0.reads_writes(5, 5))
			.saturating_add(self.0.writes(v.into()))
	}
	fn attest_lease(&self) -> Weight {
		Weight::from_parts(2 * ACCESS + VERIFY, LEASE_PROOF + MACHINE_PROOF + 400)
			.saturating_add(self.0.reads_writes(4, 1))
	}
	// The lease, its machine, its attestation, the machine's dispute hold, the provider's
	// undecided count, the deposit's hold (the account and its holds).
	fn dispute(&self) -> Weight {
		Weight::from_parts(7 * ACCESS, LEASE_PROOF + MACHINE_PROOF + 900)
			.saturating_add(self.0.reads_writes(7, 5))
	}
	fn resolve_dispute(&self) -> Weight {
		// The refund closes the lease (a lease close's worth), or the renter's fault claim
		// releases or forfeits the deposit; the machine's dispute hold.
		Weight::from_parts(32 * ACCESS, LEASE_PROOF + 2_300)
			.saturating_add(self.0.reads_writes(24, 26))
	}
	fn set_challenge_size(&self) -> Weight {
		Weight::from_parts(ACCESS, 0).saturating_add(self.0.writes(1))
	}
	fn set_verifiers(&self, v: u32) -> Weight {
		Weight::from_parts(ACCESS, 0)
			.saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(v.into()))
			.saturating_add(self.0.writes(1))
	}
	fn sweep(&self, n: u32, f: u32) -> Weight {
		// Per machine: slot, record, machine, open leases, reputation (2 scores); the record
		// and the scores written. A report's own cost is the staking pallet's weight, which
		// the sweep adds (`FaultReporter::fault_weight`); here only its event.
		let per_machine = Weight::from_parts(6 * ACCESS, HEARTBEAT_PROOF + MACHINE_PROOF + 400)
			.saturating_add(self.0.reads_writes(6, 3));
		Weight::from_parts(ACCESS, 100)
			.saturating_add(self.0.reads_writes(2, 1))
			.saturating_add(per_machine.saturating_mul(n.into()))
			.saturating_add(Weight::from_parts(ACCESS, 200).saturating_mul(f.into()))
	}
	fn issue_challenges(&self, n: u32) -> Weight {
		let per_machine = Weight::from_parts(4 * ACCESS, CHALLENGE_PROOF + MACHINE_PROOF + 100)
			.saturating_add(self.0.reads_writes(4, 2));
		Weight::from_parts(2 * ACCESS, 200)
			.saturating_add(self.0.reads_writes(3, 2))
			.saturating_add(per_machine.saturating_mul(n.into()))
	}
	// The lease, its attestation, the machine's heartbeats and dispute hold, the deposit's
	// hold; at worst the fault is upheld at once and the deposit released.
	fn report_fault(&self) -> Weight {
		Weight::from_parts(14 * ACCESS, LEASE_PROOF + HEARTBEAT_PROOF + MACHINE_PROOF + 900)
			.saturating_add(self.0.reads_writes(11, 9))
	}
	// Each due lease: its facts, attestation and check block; at worst it is abandoned (a
	// lease close) or checked again later. Reports are charged apart (`fault_weight`).
	fn check_lease_starts(&self, n: u32) -> Weight {
		// A re-queued check probes up to 11 blocks of the schedule (600 bytes each).
		let per_lease = Weight::from_parts(30 * ACCESS, LEASE_PROOF + 2_600 + 11 * 600)
			.saturating_add(self.0.reads_writes(20, 20));
		Weight::from_parts(ACCESS, 100)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(per_lease.saturating_mul(n.into()))
	}
	fn close_epoch(&self, n: u32) -> Weight {
		let per_challenge = Weight::from_parts(4 * ACCESS + REPUTATION, CHALLENGE_PROOF + 100)
			.saturating_add(self.0.reads_writes(3, 4));
		Weight::from_parts(ACCESS, 100)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(per_challenge.saturating_mul(n.into()))
	}
}

macro_rules! estimates {
	($db:expr) => {
		fn heartbeat() -> Weight {
			Estimate($db).heartbeat()
		}
		fn commit_challenge() -> Weight {
			Estimate($db).commit_challenge()
		}
		fn reveal_challenge() -> Weight {
			Estimate($db).reveal_challenge()
		}
		fn submit_verdict(v: u32) -> Weight {
			Estimate($db).submit_verdict(v)
		}
		fn attest_lease_start() -> Weight {
			Estimate($db).attest_lease()
		}
		fn attest_lease_end() -> Weight {
			Estimate($db).attest_lease()
		}
		fn dispute() -> Weight {
			Estimate($db).dispute()
		}
		fn resolve_dispute() -> Weight {
			Estimate($db).resolve_dispute()
		}
		fn set_challenge_size() -> Weight {
			Estimate($db).set_challenge_size()
		}
		fn set_verifiers(v: u32) -> Weight {
			Estimate($db).set_verifiers(v)
		}
		fn sweep(n: u32, f: u32) -> Weight {
			Estimate($db).sweep(n, f)
		}
		fn issue_challenges(n: u32) -> Weight {
			Estimate($db).issue_challenges(n)
		}
		fn close_epoch(n: u32) -> Weight {
			Estimate($db).close_epoch(n)
		}
		fn check_lease_starts(n: u32) -> Weight {
			Estimate($db).check_lease_starts(n)
		}
		fn report_fault() -> Weight {
			Estimate($db).report_fault()
		}
	};
}

/// Weights for `pallet-attestation` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	estimates!(T::DbWeight::get());
}

/// The same estimates with ParityDB weights, for tests and mocks.
impl WeightInfo for () {
	estimates!(ParityDbWeight::get());
}
