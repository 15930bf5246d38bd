//! A runtime with System, Balances and the leases pallet; the marketplace is faked.

use core::cell::RefCell;
use std::collections::BTreeMap;

use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
};
use gpux_primitives::{
	AccessMethods, AccessSpec, Balance, LeaseId, ListedMachine, ListingTerms, MachineId,
	MachineRegistry, ReputationFeed,
};
use sp_runtime::{BuildStorage, Perbill};

use crate as pallet_leases;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Leases: pallet_leases,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

parameter_types! {
	/// 1 unless a test raises it (`ExistentialDeposit::set`).
	pub static ExistentialDeposit: Balance = 1;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ExistentialDeposit;
}

pub const RENTER: u64 = 1;
pub const PROVIDER: u64 = 2;
pub const SPOT_RENTER: u64 = 3;
pub const POOR: u64 = 4;
pub const TREASURY: u64 = 99;
/// 600 per GPU-hour and 600 blocks an hour: one unit per GPU per block.
pub const PRICE: Balance = 600;
pub const SPOT_FLOOR: Balance = 120;
/// The least escrow a lease may hold.
pub const MIN_ESCROW: Balance = 10;
pub const NOTICE: u64 = 10;
/// Blocks a closed lease is kept.
pub const RETENTION: u64 = 20;
/// Machine 0: four listed GPUs. Machine 1: registered, not listed.
pub const MACHINE: MachineId = 0;
pub const UNLISTED: MachineId = 1;

parameter_types! {
	pub const Treasury: u64 = TREASURY;
	/// Governance may change it (a runtime parameter).
	pub static ProtocolFee: Perbill = Perbill::from_percent(5);
}

thread_local! {
	static STARTS_FULL: RefCell<bool> = const { RefCell::new(false) };
	static EXPECTED_STARTS: RefCell<Vec<(LeaseId, u64)>> = const { RefCell::new(Vec::new()) };
	static CLOSED: RefCell<Vec<(LeaseId, MachineId, u64)>> = const { RefCell::new(Vec::new()) };
	static UNDECIDED: RefCell<Vec<LeaseId>> = const { RefCell::new(Vec::new()) };
	static FORGOTTEN: RefCell<Vec<LeaseId>> = const { RefCell::new(Vec::new()) };
	static UNDER_BONDED: RefCell<bool> = const { RefCell::new(false) };
	static MFP: RefCell<Balance> = const { RefCell::new(Balance::MAX) };
	static SPOT_PRICE: RefCell<Balance> = const { RefCell::new(0) };
	static PRICED: RefCell<Vec<(MachineId, Balance, Balance)>> = const { RefCell::new(Vec::new()) };
	static LAST_LEASE_CLOSED: RefCell<Vec<MachineId>> = const { RefCell::new(Vec::new()) };
	static MACHINES: RefCell<BTreeMap<MachineId, (u32, Option<ListingTerms<Balance, u64>>)>> =
		const { RefCell::new(BTreeMap::new()) };
	static REPUTATION: RefCell<Vec<Outcome>> = const { RefCell::new(Vec::new()) };
}

/// What the leases pallet told reputation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
	Closed { machine: MachineId, provider: u64, value: Balance, fault: bool },
	Rated { machine: MachineId, provider: u64, value: Balance, stars: u8 },
}

/// The attestation pallet: each rent's lease and start (or refused when a test says the
/// checks are full), the leases it was told closed, and those it forgot or kept.
pub struct MockWatch;
impl MockWatch {
	pub fn set_full(full: bool) {
		STARTS_FULL.with(|f| *f.borrow_mut() = full);
	}
	pub fn expected() -> Vec<(LeaseId, u64)> {
		EXPECTED_STARTS.with(|e| e.borrow().clone())
	}
	/// The closed leases it was told of, with their machines and where their time ended,
	/// oldest first.
	pub fn closed() -> Vec<(LeaseId, MachineId, u64)> {
		CLOSED.with(|c| c.borrow().clone())
	}
	/// Whether `lease` has a dispute undecided: it may not be forgotten then.
	pub fn set_undecided(lease: LeaseId, undecided: bool) {
		UNDECIDED.with(|u| {
			let mut u = u.borrow_mut();
			u.retain(|l| *l != lease);
			if undecided {
				u.push(lease);
			}
		});
	}
	/// The leases whose attestations it dropped, oldest first.
	pub fn forgotten() -> Vec<LeaseId> {
		FORGOTTEN.with(|f| f.borrow().clone())
	}
}
impl gpux_primitives::LeaseWatch<u64> for MockWatch {
	fn expect_start(lease: LeaseId, starts_at: u64) -> sp_runtime::DispatchResult {
		if STARTS_FULL.with(|f| *f.borrow()) {
			return Err(sp_runtime::DispatchError::Other("start checks full"));
		}
		EXPECTED_STARTS.with(|e| e.borrow_mut().push((lease, starts_at)));
		Ok(())
	}
	fn lease_closed(lease: LeaseId, machine: MachineId, ended_at: u64) {
		CLOSED.with(|c| c.borrow_mut().push((lease, machine, ended_at)));
	}
	fn forget(lease: LeaseId) -> bool {
		if UNDECIDED.with(|u| u.borrow().contains(&lease)) {
			return false;
		}
		FORGOTTEN.with(|f| f.borrow_mut().push(lease));
		true
	}
}

/// Reputation that records what it is told.
pub struct MockReputation;
impl MockReputation {
	/// What reputation was told since the last call.
	pub fn take() -> Vec<Outcome> {
		REPUTATION.with(|r| core::mem::take(&mut *r.borrow_mut()))
	}
}
impl ReputationFeed<u64, Balance> for MockReputation {
	fn uptime_window(_: MachineId, _: &u64, _: bool) {}
	fn challenge_decided(_: MachineId, _: &u64, _: bool) {}
	fn lease_closed(machine: MachineId, provider: &u64, value: Balance, fault: bool) {
		let outcome = Outcome::Closed { machine, provider: *provider, value, fault };
		REPUTATION.with(|r| r.borrow_mut().push(outcome));
	}
	fn lease_rated(machine: MachineId, provider: &u64, value: Balance, stars: u8) {
		let outcome = Outcome::Rated { machine, provider: *provider, value, stars };
		REPUTATION.with(|r| r.borrow_mut().push(outcome));
	}
}

/// The marketplace, as a map a test can change.
pub struct MockMachines;
impl MockMachines {
	pub fn set(machine: MachineId, gpus: u32, terms: Option<ListingTerms<Balance, u64>>) {
		MACHINES.with(|m| m.borrow_mut().insert(machine, (gpus, terms)));
	}
	/// Whether the provider's bond no longer backs what it listed and leased.
	pub fn set_under_bonded(under: bool) {
		UNDER_BONDED.with(|u| *u.borrow_mut() = under);
	}
	/// Sets every class's Maximum Fair Price.
	pub fn set_mfp(mfp: Balance) {
		MFP.with(|m| *m.borrow_mut() = mfp);
	}
	/// Sets every class's spot price.
	pub fn set_spot_price(price: Balance) {
		SPOT_PRICE.with(|s| *s.borrow_mut() = price);
	}
	/// The closed leases' prices the marketplace was told: (machine, price, value paid),
	/// oldest first.
	pub fn priced() -> Vec<(MachineId, Balance, Balance)> {
		PRICED.with(|p| p.borrow().clone())
	}
	/// As `priced`, emptying the list.
	pub fn take_priced() -> Vec<(MachineId, Balance, Balance)> {
		PRICED.with(|p| core::mem::take(&mut *p.borrow_mut()))
	}
	/// The machines whose last open lease closed, oldest first.
	pub fn last_leases_closed() -> Vec<MachineId> {
		LAST_LEASE_CLOSED.with(|l| l.borrow().clone())
	}
}
impl MachineRegistry<u64, Balance, u64> for MockMachines {
	fn listed_machine(machine: MachineId) -> Option<ListedMachine<u64, Balance, u64>> {
		MACHINES.with(|m| {
			let (gpus, terms) = m.borrow().get(&machine).cloned()?;
			Some(ListedMachine {
				provider: PROVIDER,
				gpu_class: 0,
				gpu_count: gpus,
				leased_gpus: Self::leased_gpus(machine),
				terms: terms?,
				backed: !UNDER_BONDED.with(|u| *u.borrow()),
				mfp: MFP.with(|m| *m.borrow()),
				spot_price: SPOT_PRICE.with(|s| *s.borrow()),
			})
		})
	}
	fn machine_gpus(machine: MachineId) -> Option<u32> {
		MACHINES.with(|m| m.borrow().get(&machine).map(|(gpus, _)| *gpus))
	}
	fn last_lease_closed(machine: MachineId) {
		LAST_LEASE_CLOSED.with(|l| l.borrow_mut().push(machine));
	}
	fn lease_priced(machine: MachineId, price: Balance, value: Balance) {
		PRICED.with(|p| p.borrow_mut().push((machine, price, value)));
	}
	// Kept in storage, as the marketplace keeps it: a failed rent rolls it back.
	fn gpus_leased(machine: MachineId, gpus: u32) {
		let key = leased_key(machine);
		let held: u32 = frame_support::storage::unhashed::get_or_default(&key);
		frame_support::storage::unhashed::put(&key, &held.saturating_add(gpus));
	}
	fn gpus_released(machine: MachineId, gpus: u32) {
		let key = leased_key(machine);
		let held: u32 = frame_support::storage::unhashed::get_or_default(&key);
		frame_support::storage::unhashed::put(&key, &held.saturating_sub(gpus));
	}
	fn leased_gpus(machine: MachineId) -> u32 {
		frame_support::storage::unhashed::get_or_default(&leased_key(machine))
	}
}

impl pallet_leases::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type Machines = MockMachines;
	type Watch = MockWatch;
	type Reputation = MockReputation;
	type Treasury = Treasury;
	type ProtocolFee = ProtocolFee;
	type BlocksPerHour = ConstU64<600>;
	type SpotNoticeBlocks = ConstU64<NOTICE>;
	type MaxLeasesPerMachine = ConstU32<4>;
	type MaxClosesPerBlock = ConstU32<2>;
	type MaxCloseDelay = ConstU32<2>;
	type MinEscrow = ConstU128<MIN_ESCROW>;
	type ClosedLeaseRetention = ConstU64<RETENTION>;
	type MaxPrunesPerBlock = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockMachines;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for MockMachines {
	fn listed_machine(gpus: u32) -> MachineId {
		let machine = MACHINES.with(|m| m.borrow().keys().max().map_or(0, |max| max + 1));
		let mut listing = terms();
		listing.on_demand_price = crate::benchmarking::ON_DEMAND_PRICE;
		listing.spot_floor_price = 1;
		MockMachines::set(machine, gpus, Some(listing));
		machine
	}
}

pub fn terms() -> ListingTerms<Balance, u64> {
	ListingTerms {
		on_demand_price: PRICE,
		spot_floor_price: SPOT_FLOOR,
		min_lease_blocks: 10,
		max_lease_blocks: 1_000,
		available_from: 0,
		available_until: None,
		access: AccessMethods { ssh: true, jupyter: false, api: false },
	}
}

pub fn access() -> AccessSpec {
	AccessSpec::example()
}

pub fn balance(who: u64) -> Balance {
	Balances::free_balance(who)
}

pub fn held(who: u64) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::LeaseEscrow.into(), &who)
}

pub struct ExtBuilder {
	balances: Vec<(u64, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![
				(RENTER, 1_000_000),
				(SPOT_RENTER, 1_000_000),
				(PROVIDER, 1_000),
				(POOR, 100),
				(TREASURY, 1),
			],
		}
	}
}

impl ExtBuilder {
	/// Gives `who` a free balance of `amount` at genesis; 0 means no account at all.
	pub fn with_balance(mut self, who: u64, amount: Balance) -> Self {
		self.balances.retain(|(account, _)| *account != who);
		if amount > 0 {
			self.balances.push((who, amount));
		}
		self
	}

	/// Sets the existential deposit for this test.
	pub fn existential_deposit(self, amount: Balance) -> Self {
		ExistentialDeposit::set(amount);
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			balances: pallet_balances::GenesisConfig {
				balances: self.balances,
				..Default::default()
			},
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			MockMachines::set(MACHINE, 4, Some(terms()));
			MockMachines::set(UNLISTED, 4, None);
		});
		ext
	}

	/// Runs `test`, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Leases::do_try_state().expect("lease invariants hold");
		});
	}
}

/// Advances to block `n`, running the pallet's `on_initialize` on each new block.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Leases::on_initialize(next);
	}
}

/// The leases pallet's events since the last call, oldest first.
pub fn events() -> Vec<pallet_leases::Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Leases(e) => Some(e),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}

/// Where the mock marketplace counts a machine's leased GPUs.
fn leased_key(machine: MachineId) -> Vec<u8> {
	codec::Encode::encode(&(b"mock-leased", machine))
}
