//! A runtime with System and attestation; the marketplace, leases, staking and reputation are
//! faked in the test's storage (so benchmark runs roll them back with the rest).

use std::collections::BTreeMap;

use codec::{Decode, Encode};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks, Randomness},
};
use gpux_primitives::{
	attestation::{commit_rows, reveal_rows, ChallengeSize, Telemetry, WorkerStatement},
	AttestedMachine, Balance, FaultKind, FaultReporter, LeaseDisputes, LeaseFacts, LeaseId,
	LeaseRegistry, MachineId, MachineKeys, ReputationFeed, VerifierId, VerifierSignature,
	WorkerKey,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{BuildStorage, DispatchError, Perbill};

use crate as pallet_attestation;

type Block = frame_system::mocking::MockBlock<Test>;
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Attestation: pallet_attestation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type BlockHashCount = ConstU64<250>;
}

impl frame_system::offchain::CreateTransactionBase<crate::Call<Test>> for Test {
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl frame_system::offchain::CreateBare<crate::Call<Test>> for Test {
	fn create_bare(call: RuntimeCall) -> Extrinsic {
		Extrinsic::new_bare(call)
	}
}

pub const PROVIDER: u64 = 1;
/// Another provider.
pub const SECOND_PROVIDER: u64 = 40;
/// Most machines of one provider.
pub const MAX_FLEET: u32 = 8;
/// Machines wanted per epoch.
pub const CHALLENGES_PER_EPOCH: u32 = 2;
pub const RENTER: u64 = 2;
pub const STRANGER: u64 = 3;
pub const GOVERNANCE: u64 = 100;
/// Listed, 2 GPUs of class 0; worker key from seed 1.
pub const MACHINE: MachineId = 0;
/// Listed, 4 GPUs of class 1; worker key from seed 2.
pub const OTHER: MachineId = 1;
/// Registered, not listed; worker key from seed 3.
pub const IDLE: MachineId = 2;
/// A lease of `RENTER` on `MACHINE`.
pub const LEASE: LeaseId = 7;
pub const INTERVAL: u64 = 10;
pub const GRACE: u32 = 2;
pub const PERIOD: u64 = 40;
pub const COMMIT_WINDOW: u64 = 5;
pub const REVEAL_WINDOW: u64 = 10;
pub const DISPUTE_WINDOW: u64 = 20;
pub const SIZE: ChallengeSize = ChallengeSize { rows: 16, rounds: 2 };
pub const ROWS: u32 = 3;

parameter_types! {
	pub const Quorum: Perbill = Perbill::from_percent(66);
	pub const DefaultChallengeSize: ChallengeSize = SIZE;
	/// Governance may change it (a runtime parameter).
	pub static HeartbeatInterval: u64 = INTERVAL;
	pub static ChallengePeriod: u64 = PERIOD;
}

/// A machine of the fake market.
#[derive(Clone, Encode, Decode)]
pub struct FakeMachine {
	pub provider: u64,
	pub key: [u8; 32],
	pub class: u32,
	pub gpus: u32,
	pub listed: bool,
}

/// A lease of the fake leases pallet.
#[derive(Clone, Encode, Decode)]
pub struct FakeLease {
	pub renter: u64,
	pub provider: u64,
	pub machine: MachineId,
	pub open: bool,
	pub ends_at: u64,
	pub starts_at: u64,
}

impl FakeLease {
	/// An open lease of `RENTER`'s from `PROVIDER` on `machine`, over `starts_at..ends_at`.
	pub fn open(machine: MachineId, starts_at: u64, ends_at: u64) -> Self {
		Self { renter: RENTER, provider: PROVIDER, machine, open: true, ends_at, starts_at }
	}
}

/// What the other pallets were told.
#[derive(Clone, Default, Encode, Decode)]
pub struct Told {
	pub faults: Vec<(MachineId, FaultKind)>,
	pub uptime: Vec<(MachineId, bool)>,
	pub challenges: Vec<(MachineId, bool)>,
	pub refunds: Vec<LeaseId>,
	pub abandoned: Vec<LeaseId>,
	/// Who reported each fault, in order.
	pub reporters: Vec<Option<u64>>,
	/// Renters of single-lease faults and their losses.
	pub victims: Vec<(u64, Balance)>,
	/// Renters' deposits held now, and what was forfeited to the treasury.
	pub held: BTreeMap<u64, Balance>,
	pub forfeited: Balance,
}

const MACHINES_KEY: &[u8] = b"mock/machines";
const LEASES_KEY: &[u8] = b"mock/leases";
const TOLD_KEY: &[u8] = b"mock/told";

pub fn machines() -> BTreeMap<MachineId, FakeMachine> {
	frame_support::storage::unhashed::get_or_default(MACHINES_KEY)
}
pub fn set_machines(m: BTreeMap<MachineId, FakeMachine>) {
	frame_support::storage::unhashed::put(MACHINES_KEY, &m)
}
pub fn leases() -> BTreeMap<LeaseId, FakeLease> {
	frame_support::storage::unhashed::get_or_default(LEASES_KEY)
}
pub fn set_leases(l: BTreeMap<LeaseId, FakeLease>) {
	frame_support::storage::unhashed::put(LEASES_KEY, &l)
}
pub fn told() -> Told {
	frame_support::storage::unhashed::get_or_default(TOLD_KEY)
}
fn tell(f: impl FnOnce(&mut Told)) {
	let mut t = told();
	f(&mut t);
	frame_support::storage::unhashed::put(TOLD_KEY, &t)
}

/// Adds or replaces a machine of the fake market.
pub fn put_machine(id: MachineId, machine: FakeMachine) {
	let mut m = machines();
	m.insert(id, machine);
	set_machines(m);
}

/// Changes a machine of the fake market.
pub fn edit_machine(id: MachineId, f: impl FnOnce(&mut FakeMachine)) {
	let mut m = machines();
	if let Some(machine) = m.get_mut(&id) {
		f(machine);
	}
	set_machines(m);
}

/// A listed 1-GPU machine `id` of `PROVIDER`, its worker key made from seed `id`.
pub fn listed_machine(id: MachineId) {
	let key = worker(id as u8).public().0;
	put_machine(id, FakeMachine { provider: PROVIDER, key, class: 0, gpus: 1, listed: true });
}

/// A listed machine, watched from its listing as the marketplace has it watched.
pub fn watched_machine(id: MachineId) {
	if !machines().contains_key(&id) {
		listed_machine(id);
	}
	<Attestation as gpux_primitives::MachineMonitor>::watch(id).expect("room to watch it");
}

/// Adds or replaces a lease.
pub fn put_lease(id: LeaseId, lease: FakeLease) {
	let mut l = leases();
	l.insert(id, lease);
	set_leases(l);
}

pub struct FakeMarket;
impl MachineKeys<u64> for FakeMarket {
	fn attested_machine(machine: MachineId) -> Option<AttestedMachine<u64>> {
		machines().get(&machine).map(|m| AttestedMachine {
			provider: m.provider,
			worker_key: WorkerKey::from_raw(m.key),
			gpu_class: m.class,
			gpu_count: m.gpus,
			vram_gib_per_gpu: 24,
			listed: m.listed,
		})
	}
	fn machines_of(provider: &u64) -> Vec<MachineId> {
		machines().iter().filter(|(_, m)| m.provider == *provider).map(|(id, _)| *id).collect()
	}
}

/// Closes an open lease as the leases pallet would, telling the attestation pallet.
pub fn close_lease(id: LeaseId) {
	let mut all = leases();
	let Some(lease) = all.get_mut(&id).filter(|l| l.open) else { return };
	lease.open = false;
	let machine = lease.machine;
	set_leases(all);
	told_closed(id, machine);
}

fn told_closed(lease: LeaseId, machine: MachineId) {
	let ended_at = leases().get(&lease).map_or(0, |l| l.ends_at);
	<Attestation as gpux_primitives::LeaseWatch<u64>>::lease_closed(lease, machine, ended_at);
}

pub struct FakeLeases;
impl LeaseRegistry<u64, Balance> for FakeLeases {
	fn open_leases_on(machine: MachineId) -> u32 {
		leases().values().filter(|l| l.machine == machine && l.open).count() as u32
	}
	fn close_for_fault(machine: MachineId) -> Vec<(u64, Balance)> {
		let mut all = leases();
		let mut closed = Vec::new();
		for (id, lease) in all.iter_mut().filter(|(_, l)| l.machine == machine && l.open) {
			lease.open = false;
			closed.push((*id, lease.renter));
		}
		set_leases(all);
		closed
			.into_iter()
			.map(|(id, renter)| {
				told_closed(id, machine);
				(renter, 0)
			})
			.collect()
	}
}
impl LeaseDisputes<u64, Balance, u64> for FakeLeases {
	fn lease_facts(lease: LeaseId) -> Option<LeaseFacts<u64, u64>> {
		leases().get(&lease).map(|l| LeaseFacts {
			renter: l.renter,
			provider: l.provider,
			machine: l.machine,
			open: l.open,
			starts_at: l.starts_at,
			ends_at: l.ends_at,
		})
	}
	fn refund_disputed(lease: LeaseId) -> Result<(Balance, Balance), DispatchError> {
		let mut all = leases();
		let l = all.get_mut(&lease).ok_or(DispatchError::Other("no lease"))?;
		l.open = false;
		let machine = l.machine;
		set_leases(all);
		told_closed(lease, machine);
		tell(|t| t.refunds.push(lease));
		Ok((500, 70))
	}
	fn abandon(lease: LeaseId) -> Option<(Balance, Balance)> {
		let mut all = leases();
		let l = all.get_mut(&lease)?;
		if !l.open {
			return Some((0, 30));
		}
		l.open = false;
		let machine = l.machine;
		set_leases(all);
		told_closed(lease, machine);
		tell(|t| t.abandoned.push(lease));
		Some((600, 30))
	}
}

pub struct FakeStaking;
impl FaultReporter<u64> for FakeStaking {
	fn report_fault(machine: MachineId, kind: FaultKind, reporter: Option<u64>) -> DispatchResult {
		if kind.closes_leases() {
			FakeLeases::close_for_fault(machine);
		}
		tell(|t| {
			t.faults.push((machine, kind));
			t.reporters.push(reporter);
		});
		Ok(())
	}
	fn report_lease_fault(
		machine: MachineId,
		kind: FaultKind,
		reporter: Option<u64>,
		renter: u64,
		loss: Balance,
	) -> DispatchResult {
		Self::report_fault(machine, kind, reporter)?;
		tell(|t| t.victims.push((renter, loss)));
		Ok(())
	}
	fn fault_weight() -> frame_support::weights::Weight {
		FAULT_WEIGHT
	}
}

/// What the fake staking pallet says a fault report costs.
pub const FAULT_WEIGHT: frame_support::weights::Weight =
	frame_support::weights::Weight::from_parts(7_000_000_000, 7_000);

/// An account whose deposits cannot be held.
pub const POOR: u64 = 4;
/// What a renter puts down to report a fault.
pub const REPORT_DEPOSIT: Balance = 100;

/// Renters' deposits, kept in `Told`.
pub struct FakeDeposits;
impl gpux_primitives::RenterDeposits<u64, Balance> for FakeDeposits {
	fn hold_deposit(renter: &u64, amount: Balance) -> DispatchResult {
		if *renter == POOR {
			return Err(DispatchError::Other("insufficient balance"));
		}
		tell(|t| *t.held.entry(*renter).or_default() += amount);
		Ok(())
	}
	fn release_deposit(renter: &u64, amount: Balance) -> Balance {
		tell(|t| {
			let held = t.held.entry(*renter).or_default();
			*held = held.saturating_sub(amount);
		});
		amount
	}
	fn forfeit_deposit(renter: &u64, amount: Balance) -> Balance {
		Self::release_deposit(renter, amount);
		tell(|t| t.forfeited += amount);
		amount
	}
}
use sp_runtime::DispatchResult;

pub struct FakeReputation;
impl ReputationFeed<u64, Balance> for FakeReputation {
	fn uptime_window(machine: MachineId, _: &u64, met: bool) {
		tell(|t| t.uptime.push((machine, met)));
	}
	fn challenge_decided(machine: MachineId, _: &u64, passed: bool) {
		tell(|t| t.challenges.push((machine, passed)));
	}
	fn lease_closed(_: MachineId, _: &u64, _: Balance, _: bool) {}
	fn lease_rated(_: MachineId, _: &u64, _: Balance, _: u8) {}
}

/// Random per block: hashes the subject with the block number.
pub struct TestRandomness;
impl Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		let now = System::block_number();
		(H256(sp_crypto_hashing::blake2_256(&(subject, now).encode())), now)
	}
}

impl pallet_attestation::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Machines = FakeMarket;
	type Leases = FakeLeases;
	type Faults = FakeStaking;
	type Reputation = FakeReputation;
	type Randomness = TestRandomness;
	type GovernanceOrigin = frame_system::EnsureSignedBy<Governance, u64>;
	type HeartbeatInterval = HeartbeatInterval;
	type OfflineGraceWindows = ConstU32<GRACE>;
	type MaxTrackedMachines = ConstU32<20>;
	type MaxChecksPerBlock = ConstU32<2>;
	type MaxOfflineReportsPerBlock = ConstU32<1>;
	type SpecMismatchHeartbeats = ConstU32<SPEC_MISMATCH_HEARTBEATS>;
	type ChallengePeriod = ChallengePeriod;
	type CommitWindow = ConstU64<COMMIT_WINDOW>;
	type RevealWindow = ConstU64<REVEAL_WINDOW>;
	type ChallengesPerEpoch = ConstU32<CHALLENGES_PER_EPOCH>;
	type MaxChallengesPerEpoch = ConstU32<{ CHALLENGES_PER_EPOCH - 1 + MAX_FLEET }>;
	type MaxMachinesPerProvider = ConstU32<MAX_FLEET>;
	type RevealedRowsPerChallenge = ConstU32<ROWS>;
	type DefaultChallengeSize = DefaultChallengeSize;
	type MaxVerifiers = ConstU32<4>;
	type VerdictQuorum = Quorum;
	type DisputeWindow = ConstU64<DISPUTE_WINDOW>;
	type MaxDisputeReasonLen = ConstU32<64>;
	type UnsignedPriority = ConstU64<{ 1 << 20 }>;
	type Deposits = FakeDeposits;
	type DisputeDeposit = ConstU128<REPORT_DEPOSIT>;
	type StartAttestationDeadline = ConstU64<START_DEADLINE>;
	type MaxStartChecksPerBlock = ConstU32<2>;
	type MaxStartCheckDelay = ConstU32<1>;
	type MaxAbandonReportsPerBlock = ConstU32<1>;
	type MaxPendingAbandons = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

frame_support::ord_parameter_types! {
	pub const Governance: u64 = GOVERNANCE;
}

/// The worker key of a machine made with `seed`.
pub fn worker(seed: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[seed; 32])
}

/// Verifier `i`'s key pair.
pub fn verifier_pair(i: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[100 + i; 32])
}

pub fn verifier(i: u8) -> VerifierId {
	VerifierId::from(verifier_pair(i).public())
}

/// Verifier `i`'s signature over its verdict.
pub fn verdict_signature(i: u8, challenge: u64, passed: bool) -> VerifierSignature {
	let message = gpux_primitives::attestation::verdict_message(&genesis(), challenge, passed);
	VerifierSignature::from(verifier_pair(i).sign(&message))
}

pub fn genesis() -> [u8; 32] {
	Attestation::genesis_hash()
}

/// `seed`'s signature over `statement` on this chain.
pub fn sign(seed: u8, statement: &WorkerStatement) -> sr25519::Signature {
	worker(seed).sign(&statement.signing_message(&genesis()))
}

/// Blocks after a lease's start by which its start must be attested.
pub const START_DEADLINE: u64 = 20;

/// Heartbeats in a row that disagree with the spec before a mismatch is reported.
pub const SPEC_MISMATCH_HEARTBEATS: u32 = 2;

/// GPU `id` of 24 GiB (as a driver reports it), as a heartbeat carries it.
pub fn gpu(id: u8) -> gpux_primitives::attestation::GpuTelemetry {
	gpux_primitives::attestation::GpuTelemetry {
		uuid_hash: [id; 16],
		lost: false,
		utilization_pct: Some(40),
		memory_used_mib: Some(1_024),
		memory_total_mib: Some(24_564),
		temperature_c: Some(60),
		power_w: Some(300),
		ecc_errors: Some(0),
		xid_errors: Some(0),
		retired_pages: None,
		remapped_rows: Some(0),
		row_remap_failed: false,
	}
}

/// Two GPUs' telemetry: what `MACHINE` (2 GPUs of 24 GiB) reports.
pub fn telemetry() -> Telemetry {
	telemetry_of(2)
}

/// The telemetry of a machine with GPUs `1..=gpus`, each of 24 GiB.
pub fn telemetry_of(gpus: u32) -> Telemetry {
	Telemetry {
		gpus: (1..=gpus as u8).map(gpu).collect::<Vec<_>>().try_into().unwrap(),
		driver_version: b"550.54.15".to_vec().try_into().unwrap(),
		samples_root: [9; 32],
	}
}

/// Applies unsigned `call` as a block does: `pre_dispatch` (the signature checks), then the
/// call. A `pre_dispatch` rejection comes back as the pallet error it names.
#[allow(deprecated)]
pub fn in_block(call: crate::Call<Test>) -> DispatchResult {
	use frame_support::{
		traits::{PalletInfoAccess, UnfilteredDispatchable},
		unsigned::ValidateUnsigned,
	};
	if let Err(e) = <Attestation as ValidateUnsigned>::pre_dispatch(&call) {
		let sp_runtime::transaction_validity::TransactionValidityError::Invalid(
			sp_runtime::transaction_validity::InvalidTransaction::Custom(code),
		) = e
		else {
			return Err(DispatchError::Other("rejected by pre_dispatch"));
		};
		return Err(DispatchError::Module(sp_runtime::ModuleError {
			index: Attestation::index() as u8,
			error: [code, 0, 0, 0],
			message: None,
		}));
	}
	call.dispatch_bypass_filter(RuntimeOrigin::none()).map(|_| ()).map_err(|e| e.error)
}

/// Sends `machine`'s (worker `seed`) heartbeat for the current window.
pub fn beat(machine: MachineId, seed: u8) -> DispatchResult {
	let gpus = machines().get(&machine).map_or(2, |m| m.gpus);
	beat_with(machine, seed, telemetry_of(gpus))
}

/// Sends `machine`'s (worker `seed`) heartbeat for the current window, carrying `t`.
pub fn beat_with(machine: MachineId, seed: u8, t: Telemetry) -> DispatchResult {
	let window = Attestation::window_of(System::block_number());
	let signature = sign(seed, &WorkerStatement::heartbeat(machine, window, &t));
	in_block(crate::Call::heartbeat { machine, window, telemetry: t, signature })
}

/// Class 1's challenge size, set at genesis.
pub const CLASS_1_SIZE: ChallengeSize = ChallengeSize { rows: 8, rounds: 1 };

/// Commits the honest answer to `challenge` with worker `seed`; returns its final rows.
pub fn commit_honestly(challenge: u64, seed: u8) -> Vec<Vec<i8>> {
	let record = crate::Challenges::<Test>::get(challenge).expect("challenge exists");
	let rows = gpux_primitives::challenge::rounds::final_rows(
		&record.seed,
		record.size.rows,
		record.size.rounds,
	);
	let root = commit_rows(&rows);
	let statement = WorkerStatement::ChallengeCommitted { challenge, root };
	in_block(crate::Call::commit_challenge { challenge, root, signature: sign(seed, &statement) })
		.expect("commit accepted");
	rows
}

/// Reveals the drawn rows of `rows` with worker `seed`, first running to the row draw if it is
/// still ahead.
pub fn reveal(challenge: u64, seed: u8, rows: &[Vec<i8>]) -> DispatchResult {
	let record = crate::Challenges::<Test>::get(challenge).expect("challenge exists");
	if System::block_number() < record.draw_at {
		run_to_block(record.draw_at);
	}
	let drawn = Attestation::rows_to_reveal(&record).expect("rows are drawn");
	let revealed = reveal_rows(rows, &drawn).expect("rows exist");
	let statement = WorkerStatement::revealed(challenge, &revealed);
	in_block(crate::Call::reveal_challenge {
		challenge,
		rows: revealed,
		signature: sign(seed, &statement),
	})
}

/// Genesis with three verifiers (quorum 2) and class 1's challenge size set to 8.
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_attestation::GenesisConfig::<Test> {
			verifiers: (0..3).map(verifier).collect(),
			challenge_sizes: vec![(1, CLASS_1_SIZE)],
			commit_windows: vec![],
			_config: Default::default(),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext: sp_io::TestExternalities = storage.into();
		ext.execute_with(|| {
			System::set_block_number(1);
			let machine = |seed: u8, class, gpus, listed| FakeMachine {
				provider: PROVIDER,
				key: worker(seed).public().0,
				class,
				gpus,
				listed,
			};
			put_machine(MACHINE, machine(1, 0, 2, true));
			put_machine(OTHER, machine(2, 1, 4, true));
			put_machine(IDLE, machine(3, 0, 1, false));
		});
		ext
	}

	/// With an in-memory keystore, for the benchmarks and the offchain worker.
	pub fn build_with_keystore(self) -> sp_io::TestExternalities {
		let mut ext = self.build();
		ext.register_extension(sp_keystore::KeystoreExt::new(
			sp_keystore::testing::MemoryKeystore::new(),
		));
		ext
	}

	/// Runs `test`, then checks the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Attestation::do_try_state().expect("invariants hold");
		})
	}
}

/// Runs blocks up to `n`, with the pallet's hooks.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Attestation::on_initialize(next);
	}
}

/// The pallet's events since the last call.
pub fn events() -> Vec<crate::Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Attestation(e) => Some(e),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for () {
	fn listed_machine(key: WorkerKey) -> MachineId {
		let id = machines().keys().max().map_or(0, |m| m + 1);
		put_machine(
			id,
			FakeMachine { provider: PROVIDER, key: key.0, class: 5, gpus: 8, listed: true },
		);
		id
	}
	fn fleet_machine(key: WorkerKey) -> MachineId {
		let id = Self::listed_machine(key);
		edit_machine(id, |m| m.provider = SECOND_PROVIDER);
		id
	}
	fn open_lease(machine: MachineId) -> (LeaseId, u64) {
		let id = leases().keys().max().map_or(0, |l| l + 1);
		put_lease(id, FakeLease::open(machine, 0, 1_000));
		(id, RENTER)
	}
}
