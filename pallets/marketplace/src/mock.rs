//! A runtime with System, Balances and the marketplace; leases, bonds and monitoring are
//! faked.

use codec::Encode;
use core::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use frame_support::{
	derive_impl,
	traits::{ConstU128, ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use gpux_primitives::{
	AccessMethods, AccessSpec, Balance, ComputeCapability, JobLeases, LeaseMode, LeaseOpener,
	LeaseRegistry, ListingTerms, MachineId, MachineMonitor, MachineRegistry, MachineSpec,
	ProviderBonds, Region, RenterDeposits, ReputationScores, WorkerKey,
};
use sp_runtime::{BuildStorage, Permill};

use crate as pallet_marketplace;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Marketplace: pallet_marketplace,
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
}

frame_support::parameter_types! {
	pub const MfpBand: sp_runtime::Permill = sp_runtime::Permill::from_percent(20);
	pub const PriceSmoothing: sp_runtime::Permill = sp_runtime::Permill::from_percent(10);
	pub const SpotTargetUtilization: Permill = Permill::from_percent(50);
	pub const SpotStep: Permill = Permill::from_parts(125_000);
	pub const SpotFloorShare: Permill = Permill::from_percent(25);
}
/// A lease worth this moves its class's reference price a full smoothing step.
pub const FULL_WEIGHT_VALUE: Balance = 1_000;

/// What a provider's and a machine's registrations hold.
pub const PROVIDER_DEPOSIT: Balance = 100;
pub const MACHINE_DEPOSIT: Balance = 10;
/// What each test account starts with.
pub const ENDOWMENT: Balance = 1_000;
/// An account that cannot pay a provider deposit.
pub const POOR: u64 = 9;

thread_local! {
	static OPEN_LEASES: RefCell<BTreeMap<MachineId, u32>> = const { RefCell::new(BTreeMap::new()) };
	static BACKED_GPUS: RefCell<BTreeMap<u64, u32>> = const { RefCell::new(BTreeMap::new()) };
	static WATCHED: RefCell<BTreeSet<MachineId>> = const { RefCell::new(BTreeSet::new()) };
	static WATCH_CAPACITY: RefCell<usize> = const { RefCell::new(usize::MAX) };
	static CHALLENGED: RefCell<BTreeSet<MachineId>> = const { RefCell::new(BTreeSet::new()) };
	static DISPUTABLE: RefCell<BTreeSet<MachineId>> = const { RefCell::new(BTreeSet::new()) };
	static LEFT: RefCell<Vec<MachineId>> = const { RefCell::new(Vec::new()) };
	static SCORES: RefCell<BTreeMap<MachineId, u32>> = const { RefCell::new(BTreeMap::new()) };
	static OPENED: RefCell<Vec<OpenedLease>> = const { RefCell::new(Vec::new()) };
	/// Lease openings still allowed before every one is refused; `None`: none is.
	static REFUSE_LEASES: RefCell<Option<u32>> = const { RefCell::new(None) };
	static JOB_LEASES: RefCell<BTreeMap<u64, (bool, Balance)>> = const { RefCell::new(BTreeMap::new()) };
	static PAYOUTS: RefCell<Vec<Payout>> = const { RefCell::new(Vec::new()) };
}

/// What became of a job lease's held payout: (lease, to the provider or back to the renter,
/// amount).
pub type Payout = (u64, bool, Balance);

/// A lease the marketplace opened for an order: (renter, machine, GPUs, mode, duration, price).
pub type OpenedLease = (u64, MachineId, u32, LeaseMode, u64, Balance);

/// Machine reputation scores, neutral unless a test sets one.
pub struct MockScores;
impl MockScores {
	pub fn set(machine: MachineId, parts: u32) {
		SCORES.with(|s| s.borrow_mut().insert(machine, parts));
	}
}
impl ReputationScores<u64> for MockScores {
	fn machine_score(machine: MachineId) -> Permill {
		Permill::from_parts(SCORES.with(|s| s.borrow().get(&machine).copied().unwrap_or(500_000)))
	}
	fn provider_score(_: &u64) -> Permill {
		Permill::from_percent(50)
	}
}

/// Renter deposits as a ledger in storage beside the free balance (so a failed call rolls it
/// back, as it would a real hold).
pub struct MockDeposits;
impl MockDeposits {
	fn key(who: u64) -> Vec<u8> {
		(b"mock-deposit", who).encode()
	}
	pub fn held(who: u64) -> Balance {
		frame_support::storage::unhashed::get_or_default(&Self::key(who))
	}
	pub fn total() -> Balance {
		[ALICE, BOB, CHARLIE, DAVE, POOR].into_iter().map(Self::held).sum()
	}
}
impl RenterDeposits<u64, Balance> for MockDeposits {
	fn hold_deposit(renter: &u64, amount: Balance) -> sp_runtime::DispatchResult {
		let free = Balances::free_balance(renter);
		if Self::held(*renter) + amount > free {
			return Err(sp_runtime::DispatchError::Other("deposit exceeds balance"));
		}
		frame_support::storage::unhashed::put(&Self::key(*renter), &(Self::held(*renter) + amount));
		Ok(())
	}
	fn release_deposit(renter: &u64, amount: Balance) -> Balance {
		let held = Self::held(*renter);
		let released = amount.min(held);
		frame_support::storage::unhashed::put(&Self::key(*renter), &(held - released));
		released
	}
	fn forfeit_deposit(renter: &u64, amount: Balance) -> Balance {
		Self::release_deposit(renter, amount)
	}
}

/// The machines the attestation pallet would watch, up to a capacity a test may set.
pub struct MockMonitor;

impl MockMonitor {
	pub fn set_capacity(machines: usize) {
		WATCH_CAPACITY.with(|c| *c.borrow_mut() = machines);
	}
	pub fn watched() -> Vec<MachineId> {
		WATCHED.with(|w| w.borrow().iter().copied().collect())
	}
	pub fn set_challenged(machine: MachineId, challenged: bool) {
		CHALLENGED.with(|c| {
			if challenged {
				c.borrow_mut().insert(machine);
			} else {
				c.borrow_mut().remove(&machine);
			}
		});
	}
}

impl MockMonitor {
	pub fn set_disputable(machine: MachineId, disputable: bool) {
		DISPUTABLE.with(|d| {
			if disputable {
				d.borrow_mut().insert(machine);
			} else {
				d.borrow_mut().remove(&machine);
			}
		});
	}
	/// The machines it was told left, oldest first.
	pub fn left() -> Vec<MachineId> {
		LEFT.with(|l| l.borrow().clone())
	}
}

impl MachineMonitor for MockMonitor {
	fn watch(machine: MachineId) -> sp_runtime::DispatchResult {
		WATCHED.with(|w| {
			let mut watched = w.borrow_mut();
			if !watched.contains(&machine) && watched.len() >= WATCH_CAPACITY.with(|c| *c.borrow())
			{
				return Err(sp_runtime::DispatchError::Other("full"));
			}
			watched.insert(machine);
			Ok(())
		})
	}
	fn is_watched(machine: MachineId) -> bool {
		WATCHED.with(|w| w.borrow().contains(&machine))
	}
	fn is_challenged(machine: MachineId) -> bool {
		CHALLENGED.with(|c| c.borrow().contains(&machine))
	}
	fn is_disputable(machine: MachineId) -> bool {
		DISPUTABLE.with(|d| d.borrow().contains(&machine))
	}
	fn machine_left(machine: MachineId) {
		LEFT.with(|l| l.borrow_mut().push(machine));
	}
}

/// How many listed GPUs each provider's bond backs; unlimited unless a test says.
pub struct MockBonds;
impl MockBonds {
	pub fn set(provider: u64, gpus: u32) {
		BACKED_GPUS.with(|b| b.borrow_mut().insert(provider, gpus));
	}
}
impl ProviderBonds<u64> for MockBonds {
	fn backs(provider: &u64, gpus: u32) -> bool {
		BACKED_GPUS.with(|b| b.borrow().get(provider).is_none_or(|backed| gpus <= *backed))
	}
}

/// Open leases per machine, as a test sets them; leases orders open are recorded and count.
pub struct MockLeases;
impl MockLeases {
	pub fn set_open(machine: MachineId, open: u32) {
		OPEN_LEASES.with(|l| l.borrow_mut().insert(machine, open));
	}
	/// The leases orders opened, oldest first.
	pub fn opened() -> Vec<OpenedLease> {
		OPENED.with(|o| o.borrow().clone())
	}
	/// Whether every lease fails to open (the renter cannot pay, say).
	pub fn refuse(refuse: bool) {
		REFUSE_LEASES.with(|r| *r.borrow_mut() = refuse.then_some(0));
	}
	/// Opens `n` more leases, then refuses every one.
	pub fn refuse_after(n: u32) {
		REFUSE_LEASES.with(|r| *r.borrow_mut() = Some(n));
	}
	/// Closes one lease of `gpus` GPUs on `machine`, as the leases pallet would.
	pub fn close(machine: MachineId, gpus: u32) {
		OPEN_LEASES.with(|l| {
			let mut open = l.borrow_mut();
			let count = open.entry(machine).or_default();
			*count = count.saturating_sub(1);
		});
		<Marketplace as MachineRegistry<u64, Balance, u64>>::gpus_released(machine, gpus);
	}
}
impl MockLeases {
	/// Ends job lease `lease` having held `held` for its provider.
	pub fn end_job_lease(lease: u64, held: Balance) {
		JOB_LEASES.with(|j| j.borrow_mut().insert(lease, (true, held)));
	}
	/// The held payouts decided, oldest first.
	pub fn payouts() -> Vec<Payout> {
		PAYOUTS.with(|p| p.borrow().clone())
	}
	fn decide(lease: u64, to_provider: bool) -> Balance {
		let held = JOB_LEASES.with(|j| {
			j.borrow_mut().get_mut(&lease).map(|(_, held)| core::mem::take(held)).unwrap_or(0)
		});
		PAYOUTS.with(|p| p.borrow_mut().push((lease, to_provider, held)));
		held
	}
}
impl JobLeases<u64, Balance, u64> for MockLeases {
	fn open_job_lease(
		renter: &u64,
		machine: MachineId,
		gpus: u32,
		duration: u64,
		price: Balance,
		access: AccessSpec,
	) -> Result<gpux_primitives::LeaseId, sp_runtime::DispatchError> {
		let (lease, _) =
			Self::open_lease(renter, machine, gpus, LeaseMode::OnDemand, duration, price, access)?;
		JOB_LEASES.with(|j| j.borrow_mut().insert(lease, (false, 0)));
		Ok(lease)
	}
	fn check_job_lease(
		machine: MachineId,
		gpus: u32,
		duration: u64,
		price: Balance,
	) -> sp_runtime::DispatchResult {
		let listed = <Marketplace as MachineRegistry<u64, Balance, u64>>::listed_machine(machine)
			.ok_or(sp_runtime::DispatchError::Other("not listed"))?;
		let terms = listed.terms;
		if duration < terms.min_lease_blocks
			|| duration > terms.max_lease_blocks
			|| gpus > listed.gpu_count
		{
			return Err(sp_runtime::DispatchError::Other("duration out of bounds"));
		}
		if price * Balance::from(gpus) * Balance::from(duration) / 600 < MIN_ESCROW {
			return Err(sp_runtime::DispatchError::Other("escrow below minimum"));
		}
		Ok(())
	}
	fn job_lease_cost(gpus: u32, duration: u64, price: Balance) -> Option<Balance> {
		price.checked_mul(gpus.into())?.checked_mul(duration.into()).map(|c| c / 600)
	}
	fn is_closed(lease: u64) -> Option<bool> {
		JOB_LEASES.with(|j| j.borrow().get(&lease).map(|(closed, _)| *closed))
	}
	fn release_payout(lease: u64) -> Balance {
		Self::decide(lease, true)
	}
	fn refund_payout(lease: u64) -> Balance {
		Self::decide(lease, false)
	}
	fn open_job_lease_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000_000, 1_000)
	}
	fn payout_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000_000, 1_000)
	}
	fn end_lease_for_benchmarks(lease: u64) {
		Self::end_job_lease(lease, 1_000);
	}
}
impl LeaseOpener<u64, Balance, u64> for MockLeases {
	fn open_lease(
		renter: &u64,
		machine: MachineId,
		gpus: u32,
		mode: LeaseMode,
		duration: u64,
		price: Balance,
		_: AccessSpec,
	) -> Result<(gpux_primitives::LeaseId, frame_support::weights::Weight), sp_runtime::DispatchError>
	{
		let refused = REFUSE_LEASES.with(|r| match &mut *r.borrow_mut() {
			Some(0) => true,
			Some(allowed) => {
				*allowed -= 1;
				false
			},
			None => false,
		});
		if refused {
			return Err(sp_runtime::DispatchError::Other("escrow exceeds balance"));
		}
		let free = <Marketplace as MachineRegistry<u64, Balance, u64>>::machine_gpus(machine)
			.unwrap_or(0)
			.saturating_sub(<Marketplace as MachineRegistry<u64, Balance, u64>>::leased_gpus(
				machine,
			));
		if gpus > free {
			return Err(sp_runtime::DispatchError::Other("no free GPUs"));
		}
		OPEN_LEASES.with(|l| *l.borrow_mut().entry(machine).or_default() += 1);
		<Marketplace as MachineRegistry<u64, Balance, u64>>::gpus_leased(machine, gpus);
		OPENED.with(|o| {
			let mut opened = o.borrow_mut();
			opened.push((*renter, machine, gpus, mode, duration, price));
			// Half the most a lease may cost, so tests see what the leases really cost charged.
			Ok((opened.len() as u64 - 1, Self::open_lease_weight().div(2)))
		})
	}
	fn open_lease_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000_000, 1_000)
	}
}
impl LeaseRegistry<u64, Balance> for MockLeases {
	fn open_leases_on(machine: MachineId) -> u32 {
		OPEN_LEASES.with(|l| l.borrow().get(&machine).copied().unwrap_or(0))
	}
	fn close_for_fault(_: MachineId) -> Vec<(u64, Balance)> {
		Vec::new()
	}
}

impl pallet_marketplace::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = EnsureRoot<u64>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type ProviderDeposit = ConstU128<PROVIDER_DEPOSIT>;
	type MachineDeposit = ConstU128<MACHINE_DEPOSIT>;
	type Leases = MockLeases;
	type Bonds = MockBonds;
	type Monitor = MockMonitor;
	type MaxMetadataLen = ConstU32<64>;
	type MaxModelLen = ConstU32<32>;
	type MaxFleetLabelLen = ConstU32<16>;
	type MaxMachinesPerProvider = ConstU32<4>;
	type MaxFleetSize = ConstU32<3>;
	type MaxGpusPerMachine = ConstU32<8>;
	type MaxGpuClasses = ConstU32<4>;
	type MfpBand = MfpBand;
	type PriceSmoothing = PriceSmoothing;
	type FullWeightLeaseValue = ConstU128<FULL_WEIGHT_VALUE>;
	type Reputation = MockScores;
	type Deposits = MockDeposits;
	type OrderDeposit = ConstU128<ORDER_DEPOSIT>;
	type MaxRestingOrders = ConstU32<3>;
	type MaxOrdersPerRenter = ConstU32<3>;
	type MaxMatchCandidates = ConstU32<MAX_MATCH_CANDIDATES>;
	type MaxOrderMatchesPerBlock = ConstU32<2>;
	type MaxOrderExpiriesPerBlock = ConstU32<2>;
	type MaxOrderLifetime = ConstU64<ORDER_LIFETIME>;
	type SpotTargetUtilization = SpotTargetUtilization;
	type SpotStep = SpotStep;
	type SpotEpochBlocks = ConstU64<SPOT_EPOCH>;
	type SpotFloorShare = SpotFloorShare;
	type Treasury = TreasuryAccount;
	type JobDeposit = ConstU128<JOB_DEPOSIT>;
	type BidDeposit = ConstU128<BID_DEPOSIT>;
	type PriorityFee = ConstU128<PRIORITY_FEE>;
	type MinBidWindow = ConstU64<5>;
	type MaxBidWindow = ConstU64<50>;
	type MaxBidsPerJob = ConstU32<3>;
	type MaxJobDuration = ConstU64<1_000>;
	type MaxAwardAttempts = ConstU32<2>;
	type MaxJobsPerBlock = ConstU32<2>;
	type ResultWindow = ConstU64<RESULT_WINDOW>;
	type JobDisputeWindow = ConstU64<JOB_DISPUTE_WINDOW>;
	type WeightInfo = ();
}

/// The least a lease's budget may be (the leases pallet's `MinEscrow`).
pub const MIN_ESCROW: Balance = 10;
/// What a job holds from its submitter, and a bid from its bidder.
pub const JOB_DEPOSIT: Balance = 70;
pub const BID_DEPOSIT: Balance = 20;
/// What a priority job pays the treasury.
pub const PRIORITY_FEE: Balance = 30;
/// A job's result is due this long after its lease's end; the submitter has this long to
/// dispute it.
pub const RESULT_WINDOW: u64 = 10;
pub const JOB_DISPUTE_WINDOW: u64 = 20;
/// Where fees go.
pub const TREASURY: u64 = 99;
frame_support::parameter_types! {
	pub const TreasuryAccount: u64 = TREASURY;
}

/// What a resting order holds.
pub const ORDER_DEPOSIT: Balance = 60;
/// Index entries a match reads per class.
pub const MAX_MATCH_CANDIDATES: u32 = 4;
/// Longest an order rests.
pub const ORDER_LIFETIME: u64 = 100;
/// Blocks between spot price moves.
pub const SPOT_EPOCH: u64 = 10;

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
/// An account with nothing until a test gives it something.
pub const DAVE: u64 = 4;
/// Class 0: RTX 4090, 24 GiB, ceiling 1_000 per GPU-hour.
pub const RTX_4090: u32 = 0;
/// Class 1: H100, 80 GiB, ceiling 5_000 per GPU-hour.
pub const H100: u32 = 1;
pub const RTX_4090_CEILING: Balance = 1_000;

/// A well-formed spec of `gpus` GPUs of `class`.
pub fn spec(class: u32, gpus: u32) -> MachineSpec {
	MachineSpec {
		gpu_class: class,
		gpu_count: gpus,
		vram_gib_per_gpu: if class == H100 { 80 } else { 24 },
		compute_capability: ComputeCapability { major: 8, minor: 9 },
		cpu_cores: 32,
		ram_gib: 128,
		disk_gib: 2_000,
		bandwidth_up_mbps: 1_000,
		bandwidth_down_mbps: 1_000,
	}
}

/// Worker key `n`: a real sr25519 key, so tests can sign with it.
pub fn key_pair(n: u8) -> sp_core::sr25519::Pair {
	<sp_core::sr25519::Pair as sp_core::Pair>::from_seed(&[n; 32])
}

pub fn key(n: u8) -> WorkerKey {
	sp_core::Pair::public(&key_pair(n))
}

/// Worker key `n`'s proof that `provider` holds it.
pub fn proof(provider: u64, n: u8) -> sp_core::sr25519::Signature {
	let genesis = gpux_primitives::attestation::hash32(System::block_hash(0));
	let message = gpux_primitives::attestation::key_possession_message(&genesis, &provider);
	sp_core::Pair::sign(&key_pair(n), &message)
}

pub fn region() -> Region {
	Region { country: *b"DE", location: Some(b"Frankfurt".to_vec().try_into().unwrap()) }
}

/// Valid terms under the RTX 4090 ceiling.
pub fn terms() -> ListingTerms<Balance, u64> {
	ListingTerms {
		on_demand_price: 800,
		spot_floor_price: 300,
		min_lease_blocks: 10,
		max_lease_blocks: 6_000,
		available_from: 0,
		available_until: None,
		access: AccessMethods { ssh: true, jupyter: false, api: false },
	}
}

pub struct ExtBuilder {
	gpu_classes: Vec<(Vec<u8>, u32, Balance)>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			gpu_classes: vec![
				(b"RTX 4090".to_vec(), 24, RTX_4090_CEILING),
				(b"H100".to_vec(), 80, 5_000),
			],
		}
	}
}

impl ExtBuilder {
	pub fn build(self) -> sp_io::TestExternalities {
		let storage = RuntimeGenesisConfig {
			system: Default::default(),
			balances: pallet_balances::GenesisConfig {
				balances: vec![
					(ALICE, ENDOWMENT),
					(BOB, ENDOWMENT),
					(CHARLIE, ENDOWMENT),
					(POOR, PROVIDER_DEPOSIT / 2),
				],
				..Default::default()
			},
			marketplace: pallet_marketplace::GenesisConfig {
				gpu_classes: self.gpu_classes,
				..Default::default()
			},
		}
		.build_storage()
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// With an in-memory keystore, for the benchmarks' worker keys.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn build_with_keystore(self) -> sp_io::TestExternalities {
		let mut ext = self.build();
		ext.register_extension(sp_keystore::KeystoreExt::new(
			sp_keystore::testing::MemoryKeystore::new(),
		));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Marketplace::do_try_state().expect("marketplace invariants hold");
			let deposits: Balance =
				crate::Orders::<Test>::iter_values().map(|order| order.deposit).sum::<Balance>()
					+ crate::Jobs::<Test>::iter_values().map(|job| job.deposit).sum::<Balance>();
			assert_eq!(
				MockDeposits::total(),
				deposits,
				"deposits held = orders' and jobs' deposits"
			);
			// Once matching has worked through the queue, no resting order could fill now.
			if crate::ClassesToMatch::<Test>::get().is_empty() {
				for (order, record) in crate::Orders::<Test>::iter() {
					assert!(
						Marketplace::find_match(&record.terms, None).is_err(),
						"resting order {order} could fill, yet no class is queued for matching"
					);
				}
			}
		});
	}
}

/// What `who` has held as registration deposits.
pub fn deposits(who: u64) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::ProviderDeposit.into(), &who)
		+ Balances::balance_on_hold(&crate::HoldReason::MachineDeposit.into(), &who)
}

/// The marketplace events since the last call, oldest first.
pub fn events() -> Vec<pallet_marketplace::Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Marketplace(e) => Some(e),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}

/// The SSH key orders hand their leases.
pub fn access() -> AccessSpec {
	AccessSpec::example()
}
