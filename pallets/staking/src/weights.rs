//! Weights of `pallet-provider-staking`.
//!
//! Hand-estimated from each call's storage reads and writes (20 µs of compute per access, proof
//! sizes from the records' max encoded length) until `gpux-node benchmark pallet --pallet
//! pallet_provider_staking` runs on reference hardware; the benchmarks in `benchmarking.rs`
//! already run as tests. `m`: the provider's machines looked at; `c`: unbonding chunks;
//! `r`: renters of a faulty machine (leases closed, then compensated).

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

/// Weight functions needed for `pallet-provider-staking`.
pub trait WeightInfo {
	fn bond() -> Weight;
	fn unbond(m: u32) -> Weight;
	fn withdraw_unbonded(c: u32) -> Weight;
	fn report_offline(r: u32) -> Weight;
	fn report_fault(r: u32) -> Weight;
	fn cancel_slash() -> Weight;
	fn on_initialize_base() -> Weight;
	fn apply_slash(r: u32, m: u32) -> Weight;
}

const ACCESS: u64 = 20_000_000;
/// Upper bound of a ledger's encoded size with 32 chunks, bytes.
const LEDGER_PROOF: u64 = 1_000;
/// Upper bound of a pending slash with 64 renters, bytes.
const SLASH_PROOF: u64 = 3_300;
/// A hold change or payout: the account, its holds, an event.
const BALANCE_OP: u64 = 3;

struct Estimate(RuntimeDbWeight);

impl Estimate {
	fn balance_op(&self) -> Weight {
		Weight::from_parts(BALANCE_OP * ACCESS, 300).saturating_add(self.0.reads_writes(2, 2))
	}
	fn bond(&self) -> Weight {
		Weight::from_parts(4 * ACCESS, LEDGER_PROOF)
			.saturating_add(self.balance_op())
			.saturating_add(self.0.reads_writes(1, 1))
	}
	fn unbond(&self, m: u32) -> Weight {
		// Each machine: its record and its open-lease count.
		let per_machine = Weight::from_parts(2 * ACCESS, 1_000).saturating_add(self.0.reads(2));
		Weight::from_parts(6 * ACCESS, LEDGER_PROOF + 100)
			.saturating_add(self.0.reads_writes(2, 1))
			.saturating_add(per_machine.saturating_mul(m.into()))
	}
	// The ledger, and the provider's undecided disputes.
	fn withdraw_unbonded(&self, c: u32) -> Weight {
		Weight::from_parts(5 * ACCESS, LEDGER_PROOF + 100)
			.saturating_add(self.balance_op())
			.saturating_add(self.0.reads_writes(2, 1))
			.saturating_add(Weight::from_parts(200_000, 0).saturating_mul(c.into()))
	}
	fn report_offline(&self, r: u32) -> Weight {
		// Closing a lease: pay the provider and the fee, refund, unschedule, tell reputation,
		// queue it for pruning, tell the attestation pallet (its start check and the
		// machine's dispute hold) and the marketplace (its class's reference price).
		let per_lease = Weight::from_parts(18 * ACCESS, 3_000)
			.saturating_add(self.balance_op().saturating_mul(3))
			.saturating_add(self.0.reads_writes(14, 12));
		// Withdrawing the listing, and telling the marketplace the machine's last lease closed.
		Weight::from_parts(15 * ACCESS, SLASH_PROOF + LEDGER_PROOF + 2_000)
			.saturating_add(self.0.reads_writes(10, 8))
			.saturating_add(per_lease.saturating_mul(r.into()))
	}
	fn cancel_slash(&self) -> Weight {
		Weight::from_parts(5 * ACCESS, SLASH_PROOF + LEDGER_PROOF + 100)
			.saturating_add(self.0.reads_writes(3, 3))
	}
	fn on_initialize_base(&self) -> Weight {
		Weight::from_parts(ACCESS, 100).saturating_add(self.0.reads_writes(1, 1))
	}
	fn apply_slash(&self, r: u32, m: u32) -> Weight {
		let per_machine =
			Weight::from_parts(2 * ACCESS, 1_000).saturating_add(self.0.reads_writes(1, 1));
		Weight::from_parts(10 * ACCESS, SLASH_PROOF + LEDGER_PROOF + 1_000)
			.saturating_add(self.balance_op().saturating_mul(3))
			.saturating_add(self.0.reads_writes(4, 3))
			.saturating_add(self.balance_op().saturating_mul(r.into()))
			.saturating_add(per_machine.saturating_mul(m.into()))
	}
}

/// Weights for `pallet-provider-staking` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn bond() -> Weight {
		Estimate(T::DbWeight::get()).bond()
	}
	fn unbond(m: u32) -> Weight {
		Estimate(T::DbWeight::get()).unbond(m)
	}
	fn withdraw_unbonded(c: u32) -> Weight {
		Estimate(T::DbWeight::get()).withdraw_unbonded(c)
	}
	fn report_offline(r: u32) -> Weight {
		Estimate(T::DbWeight::get()).report_offline(r)
	}
	// Any kind costs at most what an offline report does: the same lookups, and at worst
	// every lease closed.
	fn report_fault(r: u32) -> Weight {
		Estimate(T::DbWeight::get()).report_offline(r)
	}
	fn cancel_slash() -> Weight {
		Estimate(T::DbWeight::get()).cancel_slash()
	}
	fn on_initialize_base() -> Weight {
		Estimate(T::DbWeight::get()).on_initialize_base()
	}
	fn apply_slash(r: u32, m: u32) -> Weight {
		Estimate(T::DbWeight::get()).apply_slash(r, m)
	}
}

/// The same estimates with ParityDB weights, for tests and mocks.
impl WeightInfo for () {
	fn bond() -> Weight {
		Estimate(ParityDbWeight::get()).bond()
	}
	fn unbond(m: u32) -> Weight {
		Estimate(ParityDbWeight::get()).unbond(m)
	}
	fn withdraw_unbonded(c: u32) -> Weight {
		Estimate(ParityDbWeight::get()).withdraw_unbonded(c)
	}
	fn report_offline(r: u32) -> Weight {
		Estimate(ParityDbWeight::get()).report_offline(r)
	}
	fn report_fault(r: u32) -> Weight {
		Estimate(ParityDbWeight::get()).report_offline(r)
	}
	fn cancel_slash() -> Weight {
		Estimate(ParityDbWeight::get()).cancel_slash()
	}
	fn on_initialize_base() -> Weight {
		Estimate(ParityDbWeight::get()).on_initialize_base()
	}
	fn apply_slash(r: u32, m: u32) -> Weight {
		Estimate(ParityDbWeight::get()).apply_slash(r, m)
	}
}
