//! A runtime with System, Balances and provider staking; the marketplace and leases are faked.

use std::collections::BTreeMap;

use frame_support::{
	derive_impl, parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU32, ConstU64, Hooks},
};
use gpux_primitives::{Balance, LeaseRegistry, MachineId, ProviderMarket};
use sp_runtime::{BuildStorage, Perbill};

use crate as pallet_provider_staking;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ProviderStaking: pallet_provider_staking,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ConstU128<1>;
}

use frame_support::traits::ConstU128;

pub const PROVIDER: u64 = 1;
pub const RENTER: u64 = 2;
pub const OTHER_RENTER: u64 = 3;
pub const REPORTER: u64 = 4;
pub const GOVERNANCE: u64 = 100;
pub const TREASURY: u64 = 99;
/// Bond per GPU.
pub const PER_GPU: Balance = 1_000;
pub const UNBONDING: u64 = 20;
pub const DEFER: u64 = 10;
/// Machine 0: 4 GPUs of `PROVIDER`, listed. Machine 1: 2 GPUs of `PROVIDER`, not listed.
pub const MACHINE: MachineId = 0;
pub const SPARE: MachineId = 1;

parameter_types! {
	/// Governance may change it (a runtime parameter).
	pub static BondPerGpu: Balance = PER_GPU;
	pub const Treasury: u64 = TREASURY;
	pub const OfflineSlash: Perbill = Perbill::from_percent(10);
	pub const FailedChallengeSlash: Perbill = Perbill::from_percent(5);
	pub const SpecMismatchSlash: Perbill = Perbill::from_percent(50);
	pub const LeaseAbandonedSlash: Perbill = Perbill::from_percent(20);
	pub const DisputedSlash: Perbill = Perbill::from_percent(10);
	pub const RenterShare: Perbill = Perbill::from_percent(50);
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
}

/// A machine of the fake market: its provider, GPUs, whether it is listed, and its open
/// leases as (renter, what the lease has paid: the renter's loss if a fault closes it).
#[derive(Clone, codec::Encode, codec::Decode)]
pub struct FakeMachine {
	pub provider: u64,
	pub gpus: u32,
	pub listed: bool,
	pub leases: Vec<(u64, Balance)>,
}

/// The fake market lives in the test's storage, so benchmark runs roll it back with the rest.
const MACHINES_KEY: &[u8] = b"mock/machines";

fn machines() -> BTreeMap<MachineId, FakeMachine> {
	frame_support::storage::unhashed::get_or_default(MACHINES_KEY)
}

fn change_machines<R>(f: impl FnOnce(&mut BTreeMap<MachineId, FakeMachine>) -> R) -> R {
	let mut all = machines();
	let result = f(&mut all);
	frame_support::storage::unhashed::put(MACHINES_KEY, &all);
	result
}

const DISPUTES_KEY: &[u8] = b"mock/disputes";

/// The marketplace, the leases pallet and the attestation pallet's undecided disputes, as maps
/// a test can change.
pub struct MockMarket;
impl MockMarket {
	/// Sets how many disputes of `provider`'s leases are undecided.
	pub fn set_undecided(provider: u64, count: u32) {
		let mut all: BTreeMap<u64, u32> =
			frame_support::storage::unhashed::get_or_default(DISPUTES_KEY);
		all.insert(provider, count);
		frame_support::storage::unhashed::put(DISPUTES_KEY, &all);
	}
}
impl gpux_primitives::DisputeRegistry<u64> for MockMarket {
	fn undecided_disputes(provider: &u64) -> u32 {
		let all: BTreeMap<u64, u32> =
			frame_support::storage::unhashed::get_or_default(DISPUTES_KEY);
		all.get(provider).copied().unwrap_or_default()
	}
}
impl MockMarket {
	pub fn set(machine: MachineId, provider: u64, gpus: u32, listed: bool) {
		change_machines(|m| {
			m.insert(machine, FakeMachine { provider, gpus, listed, leases: vec![] })
		});
	}
	pub fn lease(machine: MachineId, renter: u64, paid: Balance) {
		change_machines(|m| {
			if let Some(record) = m.get_mut(&machine) {
				record.leases.push((renter, paid));
			}
		});
	}
	pub fn get(machine: MachineId) -> FakeMachine {
		machines().get(&machine).cloned().expect("machine exists")
	}
	fn of(provider: &u64) -> Vec<FakeMachine> {
		machines().into_values().filter(|r| r.provider == *provider).collect()
	}
}

impl ProviderMarket<u64> for MockMarket {
	fn machine_owner(machine: MachineId) -> Option<(u64, u32)> {
		machines().get(&machine).map(|r| (r.provider, r.gpus))
	}
	fn listed_gpus(provider: &u64) -> u32 {
		Self::of(provider).iter().filter(|r| r.listed).map(|r| r.gpus).sum()
	}
	fn committed_gpus(provider: &u64) -> u32 {
		Self::of(provider).iter().filter(|r| r.listed || !r.leases.is_empty()).map(|r| r.gpus).sum()
	}
	fn delist(machine: MachineId) -> bool {
		change_machines(|m| {
			m.get_mut(&machine).is_some_and(|r| core::mem::replace(&mut r.listed, false))
		})
	}
	fn delist_all(provider: &u64) -> (u32, u32) {
		change_machines(|m| {
			let mut delisted = 0;
			let mut examined = 0;
			for record in m.values_mut().filter(|r| r.provider == *provider) {
				examined += 1;
				if record.listed {
					record.listed = false;
					delisted += 1;
				}
			}
			(delisted, examined)
		})
	}
}

impl LeaseRegistry<u64, Balance> for MockMarket {
	fn open_leases_on(machine: MachineId) -> u32 {
		machines().get(&machine).map_or(0, |r| r.leases.len() as u32)
	}
	fn close_for_fault(machine: MachineId) -> Vec<(u64, Balance)> {
		change_machines(|m| {
			m.get_mut(&machine).map(|r| core::mem::take(&mut r.leases)).unwrap_or_default()
		})
	}
}

impl pallet_provider_staking::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type Market = MockMarket;
	type Leases = MockMarket;
	type Disputes = MockMarket;
	type GovernanceOrigin = frame_system::EnsureSignedBy<Governance, u64>;
	type Slashed = ResolveTo<Treasury, Balances>;
	type MinBondPerGpu = BondPerGpu;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type SlashDeferPeriod = ConstU64<DEFER>;
	type OfflineSlash = OfflineSlash;
	type FailedChallengeSlash = FailedChallengeSlash;
	type SpecMismatchSlash = SpecMismatchSlash;
	type LeaseAbandonedSlash = LeaseAbandonedSlash;
	type DisputedSlash = DisputedSlash;
	type RenterShare = RenterShare;
	type ReporterShare = ReporterShare;
	type MaxUnlockingChunks = ConstU32<3>;
	type MaxSlashesPerBlock = ConstU32<2>;
	type MaxSlashRenters = ConstU32<4>;
	type MaxProviderMachines = ConstU32<8>;
	type MaxCancelReasonLen = ConstU32<32>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockMarket;
}

frame_support::ord_parameter_types! {
	pub const Governance: u64 = GOVERNANCE;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for MockMarket {
	fn machine(provider: &u64, gpus: u32, listed: bool) -> MachineId {
		let machine = machines().keys().max().map_or(0, |max| max + 1);
		MockMarket::set(machine, *provider, gpus, listed);
		machine
	}
	fn lease(machine: MachineId, renter: &u64) {
		MockMarket::lease(machine, *renter, 100);
	}
}

pub fn free(who: u64) -> Balance {
	Balances::free_balance(who)
}

pub fn bonded(who: u64) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::ProviderBond.into(), &who)
}

pub fn issuance() -> Balance {
	pallet_balances::TotalIssuance::<Test>::get()
}

pub struct ExtBuilder {
	balances: Vec<(u64, Balance)>,
	bonds: Vec<(u64, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			balances: vec![
				(PROVIDER, 100_000),
				(RENTER, 10_000),
				(OTHER_RENTER, 10_000),
				(REPORTER, 10),
				(TREASURY, 1),
			],
			bonds: vec![(PROVIDER, 10_000)],
		}
	}
}

impl ExtBuilder {
	/// Bonds `amount` of `who`'s balance at genesis (`PROVIDER` has 10_000 bonded unless
	/// changed); 0 means no bond.
	pub fn bonded(mut self, who: u64, amount: Balance) -> Self {
		self.bonds.retain(|(account, _)| *account != who);
		if amount > 0 {
			self.bonds.push((who, amount));
		}
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			balances: pallet_balances::GenesisConfig {
				balances: self.balances,
				..Default::default()
			},
			provider_staking: pallet_provider_staking::GenesisConfig { bonds: self.bonds },
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			MockMarket::set(MACHINE, PROVIDER, 4, true);
			MockMarket::set(SPARE, PROVIDER, 2, false);
		});
		ext
	}

	/// Runs `test`, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			ProviderStaking::do_try_state().expect("staking invariants hold");
		});
	}
}

/// Advances to block `n`, running the pallet's `on_initialize` on each new block.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		ProviderStaking::on_initialize(next);
	}
}

/// The pallet's events since the last call, oldest first.
pub fn events() -> Vec<pallet_provider_staking::Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::ProviderStaking(e) => Some(e),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}
