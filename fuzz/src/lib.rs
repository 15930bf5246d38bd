#![doc = include_str!("../README.md")]

pub mod actors;
pub mod chain;
pub mod generate;
pub mod invariants;
pub mod rng;

use std::{
	collections::BTreeMap,
	panic::{catch_unwind, AssertUnwindSafe},
	time::{Duration, Instant},
};

use codec::Encode;
use gpux_runtime::{Runtime, RuntimeCall, RuntimeEvent, System, UncheckedExtrinsic};
use sp_keyring::Sr25519Keyring;
use sp_runtime::DispatchError;

use actors::{Actors, WORKER_CALLS};
use chain::{apply, signed, Applied, Chain};
use generate::{call_name, CallGenerator, Hints};
use rng::Rng;

/// One run's settings.
#[derive(Clone, Debug)]
pub struct Config {
	/// Everything random follows from it: the same seed and settings replay the same run.
	pub seed: u64,
	/// How many extrinsics to send (the run stops at the first block reaching it).
	pub calls: u64,
	/// At most this many extrinsics a block (each block draws 0 to this).
	pub max_calls_per_block: u64,
	/// Decode every stored value after every `n`-th block (0: never; every block's `try_state`
	/// runs regardless).
	pub decode_state_every: u32,
}

impl Default for Config {
	fn default() -> Self {
		Self { seed: 0, calls: 10_000, max_calls_per_block: 24, decode_state_every: 1 }
	}
}

/// What happened to the extrinsics of one kind.
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
	/// Included, and the call succeeded.
	pub ok: u64,
	/// Included, and the call failed: by error.
	pub failed: BTreeMap<String, u64>,
	/// Refused before inclusion (by the pool's checks): by reason.
	pub refused: BTreeMap<String, u64>,
}

/// A run's figures.
#[derive(Clone, Debug, Default)]
pub struct Stats {
	/// Extrinsics sent (each one included or refused).
	pub calls: u64,
	/// Blocks built, quiet ones included.
	pub blocks: u64,
	/// Times the invariants were checked (once a block).
	pub checks: u64,
	/// Times every stored value was decoded.
	pub state_decodes: u64,
	/// By call (`Pallet.call`, root calls as `sudo(Pallet.call)`).
	pub by_call: BTreeMap<String, Outcomes>,
	/// Wall time.
	pub elapsed: Duration,
}

impl Stats {
	/// Extrinsics included whose call succeeded.
	pub fn ok(&self) -> u64 {
		self.by_call.values().map(|o| o.ok).sum()
	}

	/// Extrinsics refused before inclusion.
	pub fn refused(&self) -> u64 {
		self.by_call.values().flat_map(|o| o.refused.values()).sum()
	}

	/// How often `call` (`Pallet.call`) succeeded.
	pub fn succeeded(&self, call: &str) -> u64 {
		self.by_call.get(call).map_or(0, |o| o.ok)
	}
}

/// A broken invariant or a panic: everything needed to reproduce it.
#[derive(Clone, Debug)]
pub struct Finding {
	/// The run's settings; `gpux-fuzz --seed .. --calls ..` replays it.
	pub config: Config,
	/// The block it happened in.
	pub block: u32,
	/// What broke.
	pub message: String,
	/// The block's extrinsics until then: name and SCALE-encoded call.
	pub calls: Vec<(String, Vec<u8>)>,
	/// The figures up to the block.
	pub stats: Stats,
}

impl core::fmt::Display for Finding {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		writeln!(f, "block {} of seed {}: {}", self.block, self.config.seed, self.message)?;
		writeln!(f, "the block's extrinsics until then:")?;
		for (name, call) in &self.calls {
			writeln!(f, "  {name} 0x{}", hex(call))?;
		}
		write!(
			f,
			"replay: gpux-fuzz --seed {} --calls {} --max-calls-per-block {} --decode-state-every {}",
			self.config.seed,
			self.config.calls,
			self.config.max_calls_per_block,
			self.config.decode_state_every
		)
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn error_name(generator: &CallGenerator, error: &DispatchError) -> String {
	match error {
		DispatchError::Module(module) => format!(
			"{}.{}",
			generator.pallet_name(module.index).unwrap_or("?"),
			module.message.map_or_else(|| format!("#{}", module.error[0]), str::to_string)
		),
		other => format!("{other:?}"),
	}
}

/// The largest id in use of any kind, plus one: random ids land on existing entities.
fn max_id() -> u64 {
	[
		pallet_marketplace::NextMachineId::<Runtime>::get(),
		pallet_leases::NextLeaseId::<Runtime>::get(),
		pallet_marketplace::NextOrderId::<Runtime>::get(),
		pallet_marketplace::NextJobId::<Runtime>::get(),
		pallet_attestation::NextChallengeId::<Runtime>::get(),
		pallet_provider_staking::NextSlashId::<Runtime>::get(),
	]
	.into_iter()
	.max()
	.unwrap_or(0)
}

/// The outcome of the inner call of the `sudo` just applied.
fn sudo_outcome(applied: Applied) -> Applied {
	if applied != Applied::Ok {
		return applied;
	}
	System::events()
		.iter()
		.rev()
		.find_map(|record| match &record.event {
			RuntimeEvent::Sudo(pallet_sudo::Event::Sudid { sudo_result }) => {
				Some((*sudo_result).map_or_else(Applied::Failed, |()| Applied::Ok))
			},
			_ => None,
		})
		.unwrap_or(Applied::Ok)
}

/// The block's last events, which usually say what broke an invariant.
fn last_events() -> String {
	let events = System::events();
	let skip = events.len().saturating_sub(12);
	events
		.iter()
		.skip(skip)
		.map(|record| format!("  event {:?}", record.event))
		.collect::<Vec<_>>()
		.join("\n")
}

struct Fuzz {
	generator: CallGenerator,
	actors: Actors,
	rng: Rng,
	stats: Stats,
}

impl Fuzz {
	/// One extrinsic, drawn and applied on the block being built.
	fn step(&mut self, log: &mut Vec<(String, Vec<u8>)>) {
		let hints = Hints { accounts: &self.actors.accounts, max_id: max_id() };
		let rng = &mut self.rng;
		let (name, applied, call) = match rng.below(100) {
			// A worker's or the verifier's unsigned call.
			0..=13 => {
				let function = *rng.pick(WORKER_CALLS);
				let Some(call) = self.generator.call_of(rng, &hints, "Attestation", function)
				else {
					return;
				};
				let call = self.actors.worker_call(call, rng);
				let encoded = call.encode();
				(call_name(&call), apply(UncheckedExtrinsic::new_bare(call)), encoded)
			},
			// Governance's root origin, through the sudo key.
			14..=18 => {
				let inner = self.generator.call(rng, &hints);
				let name = format!("sudo({})", call_name(&inner));
				let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(inner) });
				let encoded = call.encode();
				let alice = Sr25519Keyring::Alice.to_account_id();
				(name, sudo_outcome(apply(signed(&alice, call))), encoded)
			},
			// Anyone's signed call.
			_ => {
				let mut call = self.generator.call(rng, &hints);
				self.actors.retarget(&mut call, rng);
				let who = self.actors.signer_for(&call, rng);
				self.actors.repair(&mut call, &who, rng);
				let encoded = call.encode();
				(call_name(&call), apply(signed(&who, call)), encoded)
			},
		};
		self.record(name.clone(), applied);
		log.push((name, call));
	}

	/// The workers of the fuzz's machines mostly stay up: each sends its heartbeat now and
	/// then (a second one in a window is refused); one that falls silent is reported offline.
	fn workers_heartbeat(&mut self, log: &mut Vec<(String, Vec<u8>)>) {
		let hints = Hints { accounts: &[], max_id: 0 };
		for machine in self.actors.own_machines() {
			if !self.rng.chance(20) {
				continue;
			}
			let shape = self.generator.call_of(&mut self.rng, &hints, "Attestation", "heartbeat");
			if let Some(shape) = shape {
				let heartbeat = self.actors.heartbeat(shape, machine);
				let (name, encoded) = (call_name(&heartbeat), heartbeat.encode());
				self.record(name.clone(), apply(UncheckedExtrinsic::new_bare(heartbeat)));
				log.push((name, encoded));
			}
		}
	}

	fn record(&mut self, name: String, applied: Applied) {
		self.stats.calls += 1;
		let outcomes = self.stats.by_call.entry(name).or_default();
		match applied {
			Applied::Ok => outcomes.ok += 1,
			Applied::Failed(error) => {
				*outcomes.failed.entry(error_name(&self.generator, &error)).or_default() += 1
			},
			Applied::Refused(reason) => {
				*outcomes.refused.entry(format!("{reason:?}")).or_default() += 1
			},
		}
	}
}

/// Whether the state holds what an upgrade rehearsal needs: a closed lease, more than one
/// bond, a pending slash, an order and more than one machine. Names what is missing otherwise.
/// (Open leases and challenges in flight are transient: long runs thin the fuzz's market out,
/// docs/RELIABILITY.md.)
pub fn populated() -> Result<(), String> {
	let missing: Vec<&str> = [
		(pallet_leases::Leases::<Runtime>::iter_values().any(|l| !l.is_open()), "a closed lease"),
		(pallet_provider_staking::Bonds::<Runtime>::iter_keys().nth(1).is_some(), "two bonds"),
		(
			pallet_provider_staking::Slashes::<Runtime>::iter_keys().next().is_some(),
			"a pending slash",
		),
		(pallet_marketplace::Orders::<Runtime>::iter_keys().next().is_some(), "an order"),
		(pallet_marketplace::Machines::<Runtime>::iter_keys().nth(1).is_some(), "two machines"),
	]
	.into_iter()
	.filter_map(|(present, what)| (!present).then_some(what))
	.collect();
	if missing.is_empty() {
		Ok(())
	} else {
		Err(format!("missing: {}", missing.join(", ")))
	}
}

/// The `--dev` chain after the fuzz's first block (the warm-up: three more providers with a
/// listed machine each, [`Actors::warm_up`]), where every run starts.
pub fn dev_chain() -> Chain {
	invariants::watch_defensive();
	let mut chain = Chain::dev();
	let genesis = chain.read(invariants::totals);
	let ((), warmed) = chain.block(
		|| {
			for (who, call) in Actors::default().warm_up() {
				let name = call_name(&call);
				assert_eq!(apply(signed(&who, call)), Applied::Ok, "warm-up: {name}");
			}
		},
		|| invariants::check(true, Some(&genesis)),
	);
	warmed.expect("the warm-up block keeps every invariant");
	chain
}

/// Runs the fuzz `config` describes on a fresh [`dev_chain`]; `progress` sees the figures
/// after every block. Returns the figures, or the first finding.
pub fn run(config: &Config, progress: impl FnMut(&Stats)) -> Result<Stats, Box<Finding>> {
	run_on(&mut dev_chain(), config, progress)
}

/// [`run`] on `chain` as it is (a snapshot's, say), which it leaves as the last block left it.
/// After a finding the chain is left mid-block and must not be used again.
pub fn run_on(
	chain: &mut Chain,
	config: &Config,
	mut progress: impl FnMut(&Stats),
) -> Result<Stats, Box<Finding>> {
	let started = Instant::now();
	let actors = Actors::default();
	let mut fuzz = Fuzz {
		generator: CallGenerator::new(actors.accounts.clone()),
		actors,
		rng: Rng::new(config.seed),
		stats: Stats::default(),
	};
	let mut quiet = 0u64;
	let mut totals = chain.read(invariants::totals);
	while fuzz.stats.calls < config.calls {
		// Now and then a quiet stretch, so that what time drives (lease ends, heartbeat
		// windows, challenge epochs, unbonding) happens with nothing else going on.
		let calls = if quiet > 0 {
			quiet -= 1;
			0
		} else if fuzz.rng.chance(2) {
			quiet = fuzz.rng.below(60);
			0
		} else {
			fuzz.rng.below(config.max_calls_per_block + 1)
		};
		let number = chain.number() + 1;
		let decode =
			config.decode_state_every > 0 && number.is_multiple_of(config.decode_state_every);
		// Every 200 blocks the warm-up's providers list again what they lost.
		let rewarm = number.is_multiple_of(200);
		let mut log = Vec::new();
		let outcome = catch_unwind(AssertUnwindSafe(|| {
			chain.block(
				|| {
					if rewarm {
						for (who, call) in fuzz.actors.warm_up() {
							let (name, encoded) = (call_name(&call), call.encode());
							fuzz.record(name.clone(), apply(signed(&who, call)));
							log.push((name, encoded));
						}
					}
					fuzz.workers_heartbeat(&mut log);
					for _ in 0..calls {
						fuzz.step(&mut log);
					}
				},
				|| {
					invariants::check(decode, Some(&totals))
						.map_err(|broken| format!("{broken}\n{}", last_events()))
				},
			)
		}));
		let broken = match outcome {
			Ok(((), Ok(after))) => {
				totals = after;
				None
			},
			Ok(((), Err(message))) => Some(message),
			Err(panic) => Some(format!(
				"panic: {}",
				panic
					.downcast_ref::<String>()
					.map(String::as_str)
					.or_else(|| panic.downcast_ref::<&str>().copied())
					.unwrap_or("(no message)")
			)),
		};
		fuzz.stats.blocks += 1;
		fuzz.stats.checks += 1;
		fuzz.stats.state_decodes += u64::from(decode);
		fuzz.stats.elapsed = started.elapsed();
		if let Some(message) = broken {
			return Err(Box::new(Finding {
				config: config.clone(),
				block: number,
				message,
				calls: log,
				stats: fuzz.stats,
			}));
		}
		progress(&fuzz.stats);
	}
	Ok(fuzz.stats)
}
