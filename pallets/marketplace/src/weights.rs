//! Weights of `pallet-marketplace`.
//!
//! Hand-estimated from each call's storage reads and writes (20 µs of compute per access, proof
//! sizes from the records' max encoded length) until `gpux-node benchmark pallet --pallet
//! pallet_marketplace` runs on reference hardware; the benchmarks in `benchmarking.rs` already
//! run as tests. Calls that loop are weighed by the loop's length.

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

/// Weight functions needed for `pallet-marketplace`.
pub trait WeightInfo {
	fn register_provider() -> Weight;
	fn register_machine(f: u32) -> Weight;
	fn set_listing() -> Weight;
	fn delist() -> Weight;
	fn deregister_machine(f: u32) -> Weight;
	fn list_fleet(n: u32) -> Weight;
	fn delist_fleet(n: u32) -> Weight;
	fn add_gpu_class() -> Weight;
	fn set_gpu_class_ceiling() -> Weight;
	fn set_worker_key() -> Weight;
	fn deregister_provider() -> Weight;
	fn set_reference_price() -> Weight;
	fn place_order(c: u32, m: u32) -> Weight;
	fn cancel_order() -> Weight;
	fn expire_orders(n: u32) -> Weight;
	fn update_spot_prices(c: u32) -> Weight;
	fn match_resting(n: u32, m: u32) -> Weight;
	fn post_job() -> Weight;
	fn bid(b: u32) -> Weight;
	fn cancel_bid(b: u32) -> Weight;
	fn submit_result() -> Weight;
	fn accept_result() -> Weight;
	fn dispute_result() -> Weight;
	fn resolve_job() -> Weight;
	fn process_jobs(n: u32, b: u32) -> Weight;
}

/// Compute per storage access, picoseconds.
const ACCESS: u64 = 20_000_000;
/// Verifying the worker key's sr25519 proof of possession, picoseconds.
const VERIFY: u64 = 50_000_000;
/// Upper bound of a machine record's encoded size, bytes.
const MACHINE_PROOF: u64 = 700;
/// Compute and proof one fleet member adds when its fleet is read or rewritten.
const FLEET_MEMBER: Weight = Weight::from_parts(100_000, 8);

/// A deposit held or released: the account and its holds, read and written.
const DEPOSIT_ACCESSES: (u64, u64) = (2, 2);

/// What keeping the price index and the class's usage in step adds to a listing change: the
/// two index entries removed and inserted, the usage read and written, and whether orders rest
/// (both books' lengths and the match queue).
const INDEX_ACCESSES: (u64, u64) = (4, 6);
/// Proof of those accesses, bytes.
const INDEX_PROOF: u64 = 400;

/// Reads one match candidate costs: its index entry, its machine, its reputation score (and
/// the provider's), its provider's record, bond and pending slashes.
const CANDIDATE_READS: u64 = 7;
/// Proof of one candidate, bytes.
const CANDIDATE_PROOF: u64 = MACHINE_PROOF + 500;
/// A resting order's record (its requirements and SSH key), bytes.
const ORDER_PROOF: u64 = 900;
/// A book of resting orders, bytes per entry.
const BOOK_ENTRY_PROOF: u64 = 24;
/// A full block of order expiries (64 ids), bytes.
const EXPIRY_SLOT_PROOF: u64 = 600;
/// A job's record (its requirements, CIDs and SSH key), bytes.
const JOB_PROOF: u64 = 1_800;
/// One bid, bytes.
const BID_PROOF: u64 = 100;
/// Blocks a job's step may probe for room in the schedule (10 later at most, and its own).
const JOB_SCHEDULE_PROBES: u64 = 11;
/// A full block of the job schedule, bytes.
const JOB_SLOT_PROOF: u64 = 600;

/// The formulas, for any database.
struct Estimate(RuntimeDbWeight);

impl Estimate {
	fn register_provider(&self) -> Weight {
		Weight::from_parts(4 * ACCESS, 600)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(self.deposit())
	}
	fn deregister_provider(&self) -> Weight {
		Weight::from_parts(4 * ACCESS, 600)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(self.deposit())
	}
	fn deposit(&self) -> Weight {
		Weight::from_parts(0, 300)
			.saturating_add(self.0.reads_writes(DEPOSIT_ACCESSES.0, DEPOSIT_ACCESSES.1))
	}
	fn register_machine(&self, f: u32) -> Weight {
		Weight::from_parts(8 * ACCESS + VERIFY, 1_000 + MACHINE_PROOF)
			.saturating_add(FLEET_MEMBER.saturating_mul(f.into()))
			.saturating_add(self.0.reads_writes(6, 6))
			.saturating_add(self.deposit())
	}
	// Listing and delisting also update the provider's listed-GPU count (and read its bond).
	// Listing also asks the leases pallet about open leases and has the monitor watch the
	// machine (its record, slot and count: 3 reads, 3 writes).
	// And the MFP band (a parameter).
	fn set_listing(&self) -> Weight {
		Weight::from_parts(10 * ACCESS, MACHINE_PROOF + 2_400)
			.saturating_add(self.0.reads_writes(9, 5))
			.saturating_add(self.index())
	}
	fn delist(&self) -> Weight {
		Weight::from_parts(5 * ACCESS, MACHINE_PROOF + 500)
			.saturating_add(self.0.reads_writes(3, 2))
			.saturating_add(self.index())
	}
	fn index(&self) -> Weight {
		Weight::from_parts(10 * ACCESS, INDEX_PROOF)
			.saturating_add(self.0.reads_writes(INDEX_ACCESSES.0, INDEX_ACCESSES.1))
	}
	fn candidates(&self, m: u32) -> Weight {
		Weight::from_parts(CANDIDATE_READS * ACCESS, CANDIDATE_PROOF)
			.saturating_add(self.0.reads(CANDIDATE_READS))
			.saturating_mul(m.into())
	}
	// Per class scanned: the class and up to `m` candidates. Then, unmatched, the deposit, the
	// book, the expiry slot and the order (the lease a match opens is charged by the leases
	// pallet's weight on top).
	fn place_order(&self, c: u32, m: u32) -> Weight {
		let per_class = Weight::from_parts(2 * ACCESS, 300)
			.saturating_add(self.0.reads(1))
			.saturating_add(self.candidates(m));
		Weight::from_parts(
			12 * ACCESS,
			ORDER_PROOF + 600 + BOOK_ENTRY_PROOF * 256 + EXPIRY_SLOT_PROOF,
		)
		.saturating_add(self.0.reads_writes(9, 7))
		.saturating_add(self.deposit())
		.saturating_add(per_class.saturating_mul(c.into()))
	}
	fn cancel_order(&self) -> Weight {
		Weight::from_parts(8 * ACCESS, ORDER_PROOF + BOOK_ENTRY_PROOF * 256 + EXPIRY_SLOT_PROOF)
			.saturating_add(self.0.reads_writes(4, 4))
			.saturating_add(self.deposit())
	}
	fn expire_orders(&self, n: u32) -> Weight {
		let per_order = Weight::from_parts(
			8 * ACCESS,
			ORDER_PROOF + BOOK_ENTRY_PROOF * 256 + EXPIRY_SLOT_PROOF,
		)
		.saturating_add(self.0.reads_writes(3, 3))
		.saturating_add(self.deposit());
		Weight::from_parts(2 * ACCESS, 400)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(per_order.saturating_mul(n.into()))
	}
	// Per class: the class, its usage, and the spot parameters.
	fn update_spot_prices(&self, c: u32) -> Weight {
		let per_class =
			Weight::from_parts(4 * ACCESS, 400).saturating_add(self.0.reads_writes(2, 1));
		Weight::from_parts(ACCESS, 100)
			.saturating_add(self.0.reads(5))
			.saturating_add(per_class.saturating_mul(c.into()))
	}
	// The class and the MFP band, the schedule probed, the deposit, and the priority fee's
	// transfer.
	fn post_job(&self) -> Weight {
		Weight::from_parts(16 * ACCESS, JOB_PROOF + 400 + JOB_SCHEDULE_PROBES * JOB_SLOT_PROOF)
			.saturating_add(self.0.reads_writes(6 + JOB_SCHEDULE_PROBES, 5))
			.saturating_add(self.deposit())
			.saturating_add(self.deposit())
	}
	// The job, the machine, its class and score, the bids (`b` of them) and the deposit.
	fn bid(&self, b: u32) -> Weight {
		Weight::from_parts(10 * ACCESS, JOB_PROOF + MACHINE_PROOF + 600)
			.saturating_add(Weight::from_parts(100_000, BID_PROOF).saturating_mul(b.into()))
			.saturating_add(self.0.reads_writes(6, 1))
			.saturating_add(self.deposit())
	}
	fn cancel_bid(&self, b: u32) -> Weight {
		Weight::from_parts(6 * ACCESS, JOB_PROOF)
			.saturating_add(Weight::from_parts(100_000, BID_PROOF).saturating_mul(b.into()))
			.saturating_add(self.0.reads_writes(2, 1))
			.saturating_add(self.deposit())
	}
	// The job, its machine, its lease, and the schedule probed.
	fn submit_result(&self) -> Weight {
		Weight::from_parts(
			10 * ACCESS,
			JOB_PROOF + MACHINE_PROOF + 1_300 + JOB_SCHEDULE_PROBES * JOB_SLOT_PROOF,
		)
		.saturating_add(self.0.reads_writes(4 + JOB_SCHEDULE_PROBES, 2))
	}
	// The job and the deposit; the payout is charged by the leases pallet's weight on top.
	fn accept_result(&self) -> Weight {
		Weight::from_parts(6 * ACCESS, JOB_PROOF)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(self.deposit())
	}
	fn dispute_result(&self) -> Weight {
		Weight::from_parts(4 * ACCESS, JOB_PROOF + 300).saturating_add(self.0.reads_writes(1, 1))
	}
	fn resolve_job(&self) -> Weight {
		Weight::from_parts(8 * ACCESS, JOB_PROOF + 300)
			.saturating_add(self.0.reads_writes(2, 2))
			.saturating_add(self.deposit())
	}
	// The block's schedule; per job its record, bids, the next step's schedule probed and the
	// deposit; per bid its machine's score and its deposit released. Leases opened and payouts
	// are charged by the leases pallet's weights on top.
	fn process_jobs(&self, n: u32, b: u32) -> Weight {
		let per_job =
			Weight::from_parts(12 * ACCESS, JOB_PROOF + 400 + JOB_SCHEDULE_PROBES * JOB_SLOT_PROOF)
				.saturating_add(self.0.reads_writes(3 + JOB_SCHEDULE_PROBES, 4))
				.saturating_add(self.deposit());
		let per_bid = Weight::from_parts(4 * ACCESS, BID_PROOF + 200)
			.saturating_add(self.0.reads(1))
			.saturating_add(self.deposit());
		Weight::from_parts(2 * ACCESS, JOB_SLOT_PROOF)
			.saturating_add(self.0.reads_writes(1, 1))
			.saturating_add(per_job.saturating_mul(n.into()))
			.saturating_add(per_bid.saturating_mul(b.into()))
	}
	// The queue and cursor; per order tried: both books, the order, its class and up to `m`
	// candidates, and when it leaves the book its removal and deposit.
	fn match_resting(&self, n: u32, m: u32) -> Weight {
		let per_order = Weight::from_parts(12 * ACCESS, ORDER_PROOF + BOOK_ENTRY_PROOF * 512 + 300)
			.saturating_add(self.0.reads_writes(7, 4))
			.saturating_add(self.deposit())
			.saturating_add(self.candidates(m));
		// Popping a class reads both books once more.
		Weight::from_parts(4 * ACCESS, 200 + BOOK_ENTRY_PROOF * 512)
			.saturating_add(self.0.reads_writes(4, 2))
			.saturating_add(per_order.saturating_mul(n.into()))
	}
	// Whether the machine has an open challenge (the epoch's list and up to 16 challenges)
	// or a dispute hold (read, then removed).
	fn deregister_machine(&self, f: u32) -> Weight {
		Weight::from_parts(26 * ACCESS, 3_500 + MACHINE_PROOF)
			.saturating_add(FLEET_MEMBER.saturating_mul(f.into()))
			.saturating_add(self.0.reads_writes(23, 7))
			.saturating_add(self.deposit())
			.saturating_add(self.index())
	}
	fn list_fleet(&self, n: u32) -> Weight {
		let per_machine = Weight::from_parts(7 * ACCESS, MACHINE_PROOF + 800)
			.saturating_add(self.0.reads_writes(6, 4))
			.saturating_add(self.index());
		Weight::from_parts(4 * ACCESS, 1_700)
			.saturating_add(self.0.reads_writes(3, 1))
			.saturating_add(per_machine.saturating_mul(n.into()))
	}
	fn delist_fleet(&self, n: u32) -> Weight {
		let per_machine = Weight::from_parts(4 * ACCESS, MACHINE_PROOF + 400)
			.saturating_add(self.0.reads_writes(2, 2))
			.saturating_add(self.index());
		Weight::from_parts(2 * ACCESS, 200)
			.saturating_add(self.0.reads(1))
			.saturating_add(per_machine.saturating_mul(n.into()))
	}
	// A class record: its model (up to `MaxModelLen`), memory, ceiling and reference price.
	fn add_gpu_class(&self) -> Weight {
		Weight::from_parts(2 * ACCESS, 300).saturating_add(self.0.reads_writes(1, 2))
	}
	// The class, and the MFP band (a parameter).
	fn set_reference_price(&self) -> Weight {
		Weight::from_parts(3 * ACCESS, 400).saturating_add(self.0.reads_writes(2, 1))
	}
	fn set_gpu_class_ceiling(&self) -> Weight {
		Weight::from_parts(2 * ACCESS, 300).saturating_add(self.0.reads_writes(1, 1))
	}
	// The genesis hash, the machine, the new key's index entry; the old and new index
	// entries and the machine are written.
	fn set_worker_key(&self) -> Weight {
		Weight::from_parts(6 * ACCESS + VERIFY, MACHINE_PROOF + 200)
			.saturating_add(self.0.reads_writes(3, 3))
	}
}

/// Weights for `pallet-marketplace` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

/// The same estimates with ParityDB weights, for tests and mocks.
impl WeightInfo for () {
	fn register_provider() -> Weight {
		Estimate(ParityDbWeight::get()).register_provider()
	}
	fn register_machine(f: u32) -> Weight {
		Estimate(ParityDbWeight::get()).register_machine(f)
	}
	fn set_listing() -> Weight {
		Estimate(ParityDbWeight::get()).set_listing()
	}
	fn delist() -> Weight {
		Estimate(ParityDbWeight::get()).delist()
	}
	fn deregister_machine(f: u32) -> Weight {
		Estimate(ParityDbWeight::get()).deregister_machine(f)
	}
	fn list_fleet(n: u32) -> Weight {
		Estimate(ParityDbWeight::get()).list_fleet(n)
	}
	fn delist_fleet(n: u32) -> Weight {
		Estimate(ParityDbWeight::get()).delist_fleet(n)
	}
	fn add_gpu_class() -> Weight {
		Estimate(ParityDbWeight::get()).add_gpu_class()
	}
	fn set_gpu_class_ceiling() -> Weight {
		Estimate(ParityDbWeight::get()).set_gpu_class_ceiling()
	}
	fn set_worker_key() -> Weight {
		Estimate(ParityDbWeight::get()).set_worker_key()
	}
	fn deregister_provider() -> Weight {
		Estimate(ParityDbWeight::get()).deregister_provider()
	}
	fn set_reference_price() -> Weight {
		Estimate(ParityDbWeight::get()).set_reference_price()
	}
	fn place_order(c: u32, m: u32) -> Weight {
		Estimate(ParityDbWeight::get()).place_order(c, m)
	}
	fn cancel_order() -> Weight {
		Estimate(ParityDbWeight::get()).cancel_order()
	}
	fn expire_orders(n: u32) -> Weight {
		Estimate(ParityDbWeight::get()).expire_orders(n)
	}
	fn update_spot_prices(c: u32) -> Weight {
		Estimate(ParityDbWeight::get()).update_spot_prices(c)
	}
	fn match_resting(n: u32, m: u32) -> Weight {
		Estimate(ParityDbWeight::get()).match_resting(n, m)
	}
	fn post_job() -> Weight {
		Estimate(ParityDbWeight::get()).post_job()
	}
	fn bid(b: u32) -> Weight {
		Estimate(ParityDbWeight::get()).bid(b)
	}
	fn cancel_bid(b: u32) -> Weight {
		Estimate(ParityDbWeight::get()).cancel_bid(b)
	}
	fn submit_result() -> Weight {
		Estimate(ParityDbWeight::get()).submit_result()
	}
	fn accept_result() -> Weight {
		Estimate(ParityDbWeight::get()).accept_result()
	}
	fn dispute_result() -> Weight {
		Estimate(ParityDbWeight::get()).dispute_result()
	}
	fn resolve_job() -> Weight {
		Estimate(ParityDbWeight::get()).resolve_job()
	}
	fn process_jobs(n: u32, b: u32) -> Weight {
		Estimate(ParityDbWeight::get()).process_jobs(n, b)
	}
}

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_provider() -> Weight {
		Estimate(T::DbWeight::get()).register_provider()
	}
	fn register_machine(f: u32) -> Weight {
		Estimate(T::DbWeight::get()).register_machine(f)
	}
	fn set_listing() -> Weight {
		Estimate(T::DbWeight::get()).set_listing()
	}
	fn delist() -> Weight {
		Estimate(T::DbWeight::get()).delist()
	}
	fn deregister_machine(f: u32) -> Weight {
		Estimate(T::DbWeight::get()).deregister_machine(f)
	}
	fn list_fleet(n: u32) -> Weight {
		Estimate(T::DbWeight::get()).list_fleet(n)
	}
	fn delist_fleet(n: u32) -> Weight {
		Estimate(T::DbWeight::get()).delist_fleet(n)
	}
	fn add_gpu_class() -> Weight {
		Estimate(T::DbWeight::get()).add_gpu_class()
	}
	fn set_gpu_class_ceiling() -> Weight {
		Estimate(T::DbWeight::get()).set_gpu_class_ceiling()
	}
	fn set_worker_key() -> Weight {
		Estimate(T::DbWeight::get()).set_worker_key()
	}
	fn deregister_provider() -> Weight {
		Estimate(T::DbWeight::get()).deregister_provider()
	}
	fn set_reference_price() -> Weight {
		Estimate(T::DbWeight::get()).set_reference_price()
	}
	fn place_order(c: u32, m: u32) -> Weight {
		Estimate(T::DbWeight::get()).place_order(c, m)
	}
	fn cancel_order() -> Weight {
		Estimate(T::DbWeight::get()).cancel_order()
	}
	fn expire_orders(n: u32) -> Weight {
		Estimate(T::DbWeight::get()).expire_orders(n)
	}
	fn update_spot_prices(c: u32) -> Weight {
		Estimate(T::DbWeight::get()).update_spot_prices(c)
	}
	fn match_resting(n: u32, m: u32) -> Weight {
		Estimate(T::DbWeight::get()).match_resting(n, m)
	}
	fn post_job() -> Weight {
		Estimate(T::DbWeight::get()).post_job()
	}
	fn bid(b: u32) -> Weight {
		Estimate(T::DbWeight::get()).bid(b)
	}
	fn cancel_bid(b: u32) -> Weight {
		Estimate(T::DbWeight::get()).cancel_bid(b)
	}
	fn submit_result() -> Weight {
		Estimate(T::DbWeight::get()).submit_result()
	}
	fn accept_result() -> Weight {
		Estimate(T::DbWeight::get()).accept_result()
	}
	fn dispute_result() -> Weight {
		Estimate(T::DbWeight::get()).dispute_result()
	}
	fn resolve_job() -> Weight {
		Estimate(T::DbWeight::get()).resolve_job()
	}
	fn process_jobs(n: u32, b: u32) -> Weight {
		Estimate(T::DbWeight::get()).process_jobs(n, b)
	}
}
