//! Who acts on the fuzzed chain, and how their calls are made to reach deeper than random
//! bytes would: renters send a well-formed SSH key some of the time, providers prove the worker
//! keys they register, and workers and the verifier sign what their calls carry. Each repair
//! happens only some of the time, so the refusals stay fuzzed too.

use gpux_primitives::{
	attestation::{hash32, key_possession_message, verdict_message, WorkerStatement},
	AccessMethods, AccessSpec, ComputeCapability, ListingTerms, MachineSpec, Region,
};
use gpux_runtime::{AccountId, Runtime, RuntimeCall, System};
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;

use crate::rng::Rng;

type AttestationCall = pallet_attestation::Call<Runtime>;

/// The accounts that sign random calls. Alice, the sudo key, only wraps calls in `sudo`.
pub const ACTORS: &[Sr25519Keyring] = &[
	Sr25519Keyring::Bob,
	Sr25519Keyring::Charlie,
	Sr25519Keyring::Dave,
	Sr25519Keyring::Eve,
	Sr25519Keyring::Ferdie,
	Sr25519Keyring::One,
	Sr25519Keyring::Two,
];

/// The fuzz's actors, their accounts and the worker keys its machines may carry.
pub struct Actors {
	/// The actors' accounts, in [`ACTORS`] order.
	pub accounts: Vec<AccountId>,
	/// Worker keys: Eve's (the demo machine's) and four of the fuzz's own.
	workers: Vec<sr25519::Pair>,
	verifier: sr25519::Pair,
}

impl Default for Actors {
	fn default() -> Self {
		let workers = core::iter::once(Sr25519Keyring::Eve.pair())
			.chain((1u8..=4).map(|i| sr25519::Pair::from_seed(&[i; 32])))
			.collect();
		Self {
			accounts: ACTORS.iter().map(|k| k.to_account_id()).collect(),
			workers,
			verifier: Sr25519Keyring::Alice.pair(),
		}
	}
}

fn genesis() -> [u8; 32] {
	hash32(System::block_hash(0))
}

/// Up to `limit` items of a storage iterator: no step of the fuzz reads unbounded storage.
fn some<T>(iter: impl Iterator<Item = T>, limit: usize) -> Vec<T> {
	iter.take(limit).collect()
}

impl Actors {
	fn worker_of(&self, machine: u64) -> Option<&sr25519::Pair> {
		let key = pallet_marketplace::Machines::<Runtime>::get(machine)?.worker_key;
		self.workers.iter().find(|pair| pair.public() == key)
	}

	/// A machine whose worker key the fuzz holds, if any.
	fn own_machine(&self, rng: &mut Rng) -> Option<u64> {
		let machines = self.own_machines();
		(!machines.is_empty()).then(|| *rng.pick(&machines))
	}

	/// Every machine whose worker key the fuzz holds (at most 64).
	pub fn own_machines(&self) -> Vec<u64> {
		some(pallet_marketplace::Machines::<Runtime>::iter(), 64)
			.into_iter()
			.filter(|(_, m)| self.workers.iter().any(|pair| pair.public() == m.worker_key))
			.map(|(id, _)| id)
			.collect()
	}

	/// `heartbeat`, a call of that shape, made `machine`'s honest heartbeat for this window.
	pub fn heartbeat(&self, mut heartbeat: RuntimeCall, machine: u64) -> RuntimeCall {
		if let RuntimeCall::Attestation(AttestationCall::heartbeat {
			machine: m,
			window,
			telemetry,
			signature,
		}) = &mut heartbeat
		{
			*m = machine;
			*window = pallet_attestation::Pallet::<Runtime>::window_of(System::block_number());
			let statement = WorkerStatement::heartbeat(machine, *window, telemetry);
			if let Some(signed) = self.sign(machine, &statement) {
				*signature = signed;
			}
		}
		heartbeat
	}

	/// The machine a lease or challenge is on.
	fn lease_machine(lease: u64) -> Option<u64> {
		pallet_leases::Leases::<Runtime>::get(lease).map(|l| l.machine)
	}

	fn challenge_machine(challenge: u64) -> Option<u64> {
		pallet_attestation::Challenges::<Runtime>::get(challenge).map(|c| c.machine)
	}

	/// A lease or challenge of the fuzz's own machines, when there is one.
	fn own_lease(&self, rng: &mut Rng) -> Option<u64> {
		let leases: Vec<u64> = some(pallet_leases::Leases::<Runtime>::iter(), 256)
			.into_iter()
			.filter(|(_, l)| self.worker_of(l.machine).is_some())
			.map(|(id, _)| id)
			.collect();
		(!leases.is_empty()).then(|| *rng.pick(&leases))
	}

	fn own_challenge(&self, rng: &mut Rng) -> Option<u64> {
		let challenges: Vec<u64> = some(pallet_attestation::Challenges::<Runtime>::iter(), 64)
			.into_iter()
			.filter(|(_, c)| self.worker_of(c.machine).is_some())
			.map(|(id, _)| id)
			.collect();
		(!challenges.is_empty()).then(|| *rng.pick(&challenges))
	}

	fn sign(&self, machine: u64, statement: &WorkerStatement) -> Option<sr25519::Signature> {
		Some(self.worker_of(machine)?.sign(&statement.signing_message(&genesis())))
	}

	fn retarget_challenge(&self, challenge: &mut u64, rng: &mut Rng) {
		if let Some(own) = self.own_challenge(rng) {
			*challenge = own;
		}
	}

	fn retarget_lease(&self, lease: &mut u64, rng: &mut Rng) {
		if let Some(own) = self.own_lease(rng) {
			*lease = own;
		}
	}

	/// `sign`, unless the call is to stay dishonest.
	fn sign_if(
		&self,
		honest: bool,
		machine: Option<u64>,
		statement: &WorkerStatement,
	) -> Option<sr25519::Signature> {
		machine.filter(|_| honest).and_then(|m| self.sign(m, statement))
	}

	/// The first block: three more providers (Charlie, Dave, One) bond, register a machine each
	/// with one of the fuzz's worker keys, and list it, so that the market has machines to
	/// rent from the start; the rest is up to the random calls. Sent again every 200 blocks:
	/// what still stands refuses it by name, a delisted machine is listed again.
	pub fn warm_up(&self) -> Vec<(AccountId, RuntimeCall)> {
		use pallet_marketplace::Call as M;
		let mut calls = Vec::new();
		for (i, keyring) in [Sr25519Keyring::Charlie, Sr25519Keyring::Dave, Sr25519Keyring::One]
			.into_iter()
			.enumerate()
		{
			let who = keyring.to_account_id();
			let worker = &self.workers[i + 1];
			let metadata = b"fuzz provider".to_vec().try_into().expect("within MaxMetadataLen");
			// The machine this key registers now, or registered at an earlier warm-up.
			let machine = pallet_marketplace::MachineOfWorkerKey::<Runtime>::get(worker.public())
				.unwrap_or_else(|| pallet_marketplace::NextMachineId::<Runtime>::get() + i as u64);
			let terms = ListingTerms {
				on_demand_price: gpux_runtime::UNITS / 2,
				spot_floor_price: gpux_runtime::UNITS / 5,
				min_lease_blocks: 10,
				max_lease_blocks: 10_000,
				available_from: 0,
				available_until: None,
				access: AccessMethods { ssh: true, jupyter: true, api: false },
			};
			calls.extend([
				(who.clone(), RuntimeCall::Marketplace(M::register_provider { metadata })),
				(
					who.clone(),
					RuntimeCall::ProviderStaking(pallet_provider_staking::Call::bond {
						amount: 10_000 * gpux_runtime::UNITS,
					}),
				),
				(
					who.clone(),
					RuntimeCall::Marketplace(M::register_machine {
						spec: MachineSpec {
							gpu_class: 0,
							vram_gib_per_gpu: 24,
							gpu_count: 4,
							..example_spec(&mut Rng::new(0))
						},
						worker_key: worker.public(),
						key_proof: worker.sign(&key_possession_message(&genesis(), &who)),
						region: Region { country: *b"FR", location: None },
						fleet: None,
					}),
				),
				(who, RuntimeCall::Marketplace(M::set_listing { machine, terms })),
			]);
		}
		calls
	}

	/// Points a lease call at an open lease, most of the time (before [`Self::signer_for`]
	/// picks its renter).
	pub fn retarget(&self, call: &mut RuntimeCall, rng: &mut Rng) {
		use pallet_leases::Call as L;
		if rng.chance(25) {
			return;
		}
		if let RuntimeCall::Leases(
			L::extend { lease, .. }
			| L::terminate { lease }
			| L::settle { lease }
			| L::rate { lease, .. },
		) = call
		{
			let open: Vec<u64> = some(pallet_leases::Leases::<Runtime>::iter(), 256)
				.into_iter()
				.filter(|(_, l)| l.is_open())
				.map(|(id, _)| id)
				.collect();
			if !open.is_empty() {
				*lease = *rng.pick(&open);
			}
		}
	}

	/// Who sends `call`: most of the time the account it concerns (a machine's provider, a
	/// lease's renter, a registered provider for a new machine), otherwise any actor.
	pub fn signer_for(&self, call: &RuntimeCall, rng: &mut Rng) -> AccountId {
		use pallet_leases::Call as L;
		use pallet_marketplace::Call as M;
		let concerned = match call {
			RuntimeCall::Marketplace(
				M::set_listing { machine, .. }
				| M::delist { machine }
				| M::deregister_machine { machine }
				| M::set_worker_key { machine, .. },
			) => pallet_marketplace::Machines::<Runtime>::get(machine).map(|m| m.provider),
			RuntimeCall::Leases(
				L::extend { lease, .. } | L::terminate { lease } | L::rate { lease, .. },
			) => pallet_leases::Leases::<Runtime>::get(lease).map(|l| l.renter),
			RuntimeCall::Marketplace(M::register_machine { .. }) => {
				let providers: Vec<AccountId> = self
					.accounts
					.iter()
					.filter(|a| pallet_marketplace::Providers::<Runtime>::contains_key(a))
					.cloned()
					.collect();
				(!providers.is_empty()).then(|| rng.pick(&providers).clone())
			},
			_ => None,
		};
		match concerned {
			Some(who) if rng.chance(75) => who,
			_ => rng.pick(&self.accounts).clone(),
		}
	}

	/// Makes `call`, which `signer` sends, more likely to pass its checks, most of the time.
	pub fn repair(&self, call: &mut RuntimeCall, signer: &AccountId, rng: &mut Rng) {
		if rng.chance(25) {
			return;
		}
		match call {
			RuntimeCall::Marketplace(pallet_marketplace::Call::register_machine {
				spec,
				worker_key,
				key_proof,
				region,
				..
			}) => {
				*region = Region { country: *b"FR", location: None };
				let worker = rng.pick(&self.workers[1..]);
				*worker_key = worker.public();
				*key_proof = worker.sign(&key_possession_message(&genesis(), signer));
				if rng.chance(80) {
					*spec = example_spec(rng);
				}
			},
			RuntimeCall::Marketplace(pallet_marketplace::Call::set_worker_key {
				worker_key,
				key_proof,
				..
			}) => {
				let worker = rng.pick(&self.workers[1..]);
				*worker_key = worker.public();
				*key_proof = worker.sign(&key_possession_message(&genesis(), signer));
			},
			RuntimeCall::Leases(pallet_leases::Call::rent {
				machine,
				gpus,
				duration,
				max_price_per_gpu_hour,
				access,
				..
			}) => {
				*access = access_spec(rng);
				let listed: Vec<u64> = some(pallet_marketplace::Machines::<Runtime>::iter(), 64)
					.into_iter()
					.filter(|(_, m)| m.listing.is_some())
					.map(|(id, _)| id)
					.collect();
				if !listed.is_empty() {
					*machine = *rng.pick(&listed);
				}
				if rng.chance(70) {
					*gpus = 1 + rng.below(2) as u32;
					*duration = 10 + rng.below(300) as u32;
					*max_price_per_gpu_hour = 10 * gpux_runtime::UNITS;
				}
			},
			RuntimeCall::Marketplace(pallet_marketplace::Call::set_listing { terms, .. })
				if rng.chance(60) =>
			{
				let ceiling = gpux_runtime::UNITS;
				terms.on_demand_price = 1 + rng.below(ceiling as u64) as u128;
				terms.spot_floor_price = terms.on_demand_price / 2;
				terms.min_lease_blocks = 10;
				terms.max_lease_blocks = 10 + rng.below(10_000) as u32;
				terms.available_from = 0;
				terms.available_until = None;
				terms.access.ssh = true;
			},
			RuntimeCall::Marketplace(pallet_marketplace::Call::place_order { access, .. }) => {
				*access = access_spec(rng)
			},
			// The market stays up: most deregistrations and delistings become remarks.
			RuntimeCall::Marketplace(
				pallet_marketplace::Call::deregister_machine { .. }
				| pallet_marketplace::Call::deregister_provider {}
				| pallet_marketplace::Call::delist { .. }
				| pallet_marketplace::Call::delist_fleet { .. },
			) if rng.chance(80) => {
				*call = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
			},
			// Balances stay for the market to use: most transfers move a little.
			RuntimeCall::Balances(pallet_balances::Call::transfer_all { dest, .. }) => {
				*call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: dest.clone(),
					value: gpux_runtime::UNITS,
				})
			},
			RuntimeCall::Balances(
				pallet_balances::Call::transfer_allow_death { value, .. }
				| pallet_balances::Call::transfer_keep_alive { value, .. }
				| pallet_balances::Call::burn { value, .. },
			) => *value = (*value).min(1_000 * gpux_runtime::UNITS),
			_ => {},
		}
	}

	/// A call a worker or the verifier sends: an attestation call of a random shape, pointed at
	/// one of the fuzz's machines, leases or challenges and signed with the right key.
	pub fn worker_call(&self, mut call: RuntimeCall, rng: &mut Rng) -> RuntimeCall {
		let RuntimeCall::Attestation(inner) = &mut call else { return call };
		// Now and then a worker's call keeps its random signature or window: refusals too.
		let honest = rng.chance(85);
		// Each worker call is pointed at one of the fuzz's own targets, then named by the
		// statement it signs and the machine whose worker key signs it.
		let (machine, statement, signature) = match inner {
			AttestationCall::heartbeat { machine, window, telemetry, signature } => {
				if let Some(own) = self.own_machine(rng) {
					*machine = own;
				}
				if honest {
					let now = System::block_number();
					*window = pallet_attestation::Pallet::<Runtime>::window_of(now);
				}
				(
					Some(*machine),
					WorkerStatement::heartbeat(*machine, *window, telemetry),
					signature,
				)
			},
			AttestationCall::commit_challenge { challenge, root, signature } => {
				self.retarget_challenge(challenge, rng);
				let statement =
					WorkerStatement::ChallengeCommitted { challenge: *challenge, root: *root };
				(Self::challenge_machine(*challenge), statement, signature)
			},
			AttestationCall::reveal_challenge { challenge, rows, signature } => {
				self.retarget_challenge(challenge, rng);
				let statement = WorkerStatement::revealed(*challenge, rows);
				(Self::challenge_machine(*challenge), statement, signature)
			},
			AttestationCall::attest_gpu_evidence { challenge, evidence, signature } => {
				self.retarget_challenge(challenge, rng);
				let statement =
					WorkerStatement::GpuEvidence { challenge: *challenge, evidence: *evidence };
				(Self::challenge_machine(*challenge), statement, signature)
			},
			AttestationCall::attest_lease_start { lease, endpoint, signature } => {
				self.retarget_lease(lease, rng);
				let statement =
					WorkerStatement::LeaseStarted { lease: *lease, endpoint: endpoint.clone() };
				(Self::lease_machine(*lease), statement, signature)
			},
			AttestationCall::attest_lease_end { lease, digest, signature } => {
				self.retarget_lease(lease, rng);
				let statement = WorkerStatement::LeaseEnded { lease: *lease, digest: *digest };
				(Self::lease_machine(*lease), statement, signature)
			},
			AttestationCall::submit_verdict { challenge, verifier, passed, signature } => {
				self.retarget_challenge(challenge, rng);
				if honest {
					*verifier = self.verifier.public().into();
					*signature = self
						.verifier
						.sign(&verdict_message(&genesis(), *challenge, *passed))
						.into();
				}
				return call;
			},
			_ => return call,
		};
		if let Some(signed) = self.sign_if(honest, machine, &statement) {
			*signature = signed;
		}
		call
	}
}

/// A machine the genesis GPU classes accept: 1–8 GPUs of class 0–3.
fn example_spec(rng: &mut Rng) -> MachineSpec {
	let class = rng.below(4) as u32;
	MachineSpec {
		gpu_class: class,
		gpu_count: 1 + rng.below(8) as u32,
		vram_gib_per_gpu: [24, 48, 80, 80][class as usize],
		compute_capability: ComputeCapability { major: 8, minor: 9 },
		cpu_cores: 32,
		ram_gib: 128,
		disk_gib: 2_000,
		bandwidth_up_mbps: 1_000,
		bandwidth_down_mbps: 1_000,
	}
}

/// The attestation calls workers and the verifier send, by name.
pub const WORKER_CALLS: &[&str] = &[
	"anchor_beacon",
	"reveal_beacon",
	"heartbeat",
	"commit_challenge",
	"reveal_challenge",
	"attest_gpu_evidence",
	"attest_lease_start",
	"attest_lease_end",
	"submit_verdict",
];

/// Key lines that are nearly keys: each once found, or could hide, a path the check mishandles.
const HOSTILE_SSH_KEYS: &[&[u8]] = &[
	// An RSA key whose modulus is zero (an empty mpint): once a panic in the key check.
	b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAA==",
	// An RSA key with no exponent, and an ed25519 blob one byte short.
	b"ssh-rsa AAAAB3NzaC1yc2EAAAAAAAAAAQE=",
	b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=",
	// A blob with a length prefix past its end, and base64 with stray bits.
	b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5/////w==",
	b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB==",
];

/// What a renter sends: mostly a valid key (so rents go through), sometimes a near-miss.
fn access_spec(rng: &mut Rng) -> AccessSpec {
	let mut access = AccessSpec::example();
	if rng.chance(10) {
		access.ssh_public_key = rng.pick(HOSTILE_SSH_KEYS).to_vec().try_into().unwrap_or_default();
	}
	access
}
