//! Weights of `pallet-leases`.
//!
//! Hand-estimated from each call's storage reads and writes (20 µs of compute per access, proof
//! sizes from the records' max encoded length) until `gpux-node benchmark pallet --pallet
//! pallet_leases` runs on reference hardware; the benchmarks in `benchmarking.rs` already run as
//! tests. `m`: open leases on the machine (read to find free GPUs); `n`: leases closing or
//! pruned.

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

/// Weight functions needed for `pallet-leases`.
pub trait WeightInfo {
	fn rent(m: u32) -> Weight;
	fn extend() -> Weight;
	fn terminate(m: u32) -> Weight;
	fn settle() -> Weight;
	fn rate() -> Weight;
	fn on_initialize(n: u32) -> Weight;
	fn prune(n: u32) -> Weight;
}

const ACCESS: u64 = 20_000_000;
/// Upper bound of a lease record's encoded size, bytes.
const LEASE_PROOF: u64 = 1_300;
/// A balance transfer on hold: two accounts, the hold, and an event.
const TRANSFER: u64 = 4;
/// Blocks a close may probe for room: `MaxCloseDelay` + 1, with `MaxCloseDelay` at most 10.
pub const SCHEDULE_PROBES: u64 = 11;
/// A full block of the close or start-check schedule (64 lease ids), bytes.
const SCHEDULE_PROOF: u64 = 600;
/// The marketplace counting the GPUs a lease takes or frees: the machine rewritten, its two
/// price-index entries, its class's usage, and whether orders wait for the class (both books'
/// lengths and the match queue, written when capacity appears).
const MARKET_SYNC: (u64, u64) = (6, 7);
/// Proof of that sync, bytes: the machine record and the index entries.
const MARKET_SYNC_PROOF: u64 = 1_100;

struct Estimate(RuntimeDbWeight);

impl Estimate {
	fn payout(&self) -> Weight {
		Weight::from_parts(2 * TRANSFER * ACCESS, 600).saturating_add(self.0.reads_writes(4, 4))
	}
	fn rent(&self, m: u32) -> Weight {
		let per_open_lease =
			Weight::from_parts(ACCESS, LEASE_PROOF).saturating_add(self.0.reads(1));
		// Preempting a lease rewrites it and moves its close, probing up to 11 blocks.
		let per_preempted = Weight::from_parts(2 * ACCESS, SCHEDULE_PROBES * SCHEDULE_PROOF)
			.saturating_add(self.0.reads_writes(2 + SCHEDULE_PROBES, 3));
		// The listing, its provider's record and bond ledger (is the provider backed?); the
		// lease's close and its start check, each probed over up to 11 blocks.
		Weight::from_parts(
			25 * ACCESS,
			2 * LEASE_PROOF + 1_600 + 2 * SCHEDULE_PROBES * SCHEDULE_PROOF,
		)
		// The class and the MFP band (a parameter), read for its MFP, and the spot price's
		// floor share.
		.saturating_add(self.0.reads_writes(11 + 2 * SCHEDULE_PROBES, 9))
		.saturating_add(self.market_sync())
		.saturating_add(per_open_lease.saturating_add(per_preempted).saturating_mul(m.into()))
	}
	// The close moves, probing up to 11 blocks.
	fn extend(&self) -> Weight {
		Weight::from_parts(10 * ACCESS, LEASE_PROOF + 1_500 + SCHEDULE_PROBES * SCHEDULE_PROOF)
			.saturating_add(self.0.reads_writes(6 + SCHEDULE_PROBES, 6))
	}
	// Closing and rating also update the machine's and provider's reputation (2 reads, 2 writes).
	// The machine's last lease tells the marketplace (2 reads, 1 write); a lease closed before
	// its start reads the machine's `m` open leases and restores those it preempted.
	fn close(&self, m: u32) -> Weight {
		let per_open_lease = Weight::from_parts(ACCESS, LEASE_PROOF)
			.saturating_add(self.0.reads(1))
			.saturating_add(self.0.reads_writes(2, 3));
		// The pruning queue (1 read, 2 writes), the attestation pallet's start check and
		// dispute hold (2 reads, 3 writes), and the class's reference price (the machine, the
		// class and three price parameters read, the class written).
		Weight::from_parts(24 * ACCESS, LEASE_PROOF + 3_300)
			.saturating_add(self.payout())
			.saturating_add(self.0.reads_writes(16, 14))
			.saturating_add(self.market_sync())
			.saturating_add(per_open_lease.saturating_mul(m.into()))
	}
	fn market_sync(&self) -> Weight {
		Weight::from_parts(8 * ACCESS, MARKET_SYNC_PROOF)
			.saturating_add(self.0.reads_writes(MARKET_SYNC.0, MARKET_SYNC.1))
	}
	fn settle(&self) -> Weight {
		Weight::from_parts(4 * ACCESS, LEASE_PROOF)
			.saturating_add(self.payout())
			.saturating_add(self.0.reads_writes(1, 1))
	}
	fn rate(&self) -> Weight {
		Weight::from_parts(4 * ACCESS, LEASE_PROOF + 300).saturating_add(self.0.reads_writes(3, 3))
	}
	// Per lease: its queue entry, its record, its renter index, and its attestation record
	// (2 reads, 4 writes); a kept one is queued again instead (1 read, 2 writes more).
	fn prune(&self, n: u32) -> Weight {
		let per_lease = Weight::from_parts(6 * ACCESS, LEASE_PROOF + 1_000)
			.saturating_add(self.0.reads_writes(4, 6));
		Weight::from_parts(ACCESS, 100)
			.saturating_add(self.0.reads_writes(2, 1))
			.saturating_add(per_lease.saturating_mul(n.into()))
	}
	fn on_initialize(&self, n: u32) -> Weight {
		Weight::from_parts(ACCESS, 200)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(self.close(0).saturating_mul(n.into()))
	}
}

/// Weights for `pallet-leases` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn rent(m: u32) -> Weight {
		Estimate(T::DbWeight::get()).rent(m)
	}
	fn extend() -> Weight {
		Estimate(T::DbWeight::get()).extend()
	}
	fn terminate(m: u32) -> Weight {
		Estimate(T::DbWeight::get()).close(m)
	}
	fn settle() -> Weight {
		Estimate(T::DbWeight::get()).settle()
	}
	fn rate() -> Weight {
		Estimate(T::DbWeight::get()).rate()
	}
	fn on_initialize(n: u32) -> Weight {
		Estimate(T::DbWeight::get()).on_initialize(n)
	}
	fn prune(n: u32) -> Weight {
		Estimate(T::DbWeight::get()).prune(n)
	}
}

/// The same estimates with ParityDB weights, for tests and mocks.
impl WeightInfo for () {
	fn rent(m: u32) -> Weight {
		Estimate(ParityDbWeight::get()).rent(m)
	}
	fn extend() -> Weight {
		Estimate(ParityDbWeight::get()).extend()
	}
	fn terminate(m: u32) -> Weight {
		Estimate(ParityDbWeight::get()).close(m)
	}
	fn settle() -> Weight {
		Estimate(ParityDbWeight::get()).settle()
	}
	fn rate() -> Weight {
		Estimate(ParityDbWeight::get()).rate()
	}
	fn on_initialize(n: u32) -> Weight {
		Estimate(ParityDbWeight::get()).on_initialize(n)
	}
	fn prune(n: u32) -> Weight {
		Estimate(ParityDbWeight::get()).prune(n)
	}
}
