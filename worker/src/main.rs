#![doc = include_str!("../README.md")]

mod chain;
mod challenge;
mod client;
mod compat;
mod config;
mod error;
mod files;
mod gpu;
mod metrics;
mod provision;
mod register;
mod signer;
mod status;
mod tasks;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand};
use config::{FileConfig, ProvisionerKind};
use error::Error;
use gpu::SimulatedGpus;
use gpux_primitives::attestation::{ChallengeSize, MAX_CHALLENGE_ROUNDS, MAX_CHALLENGE_ROWS};

/// The GPUX provider daemon.
#[derive(Debug, Parser)]
#[command(name = "gpux-worker", version, about)]
struct Cli {
	/// WebSocket endpoint of the local gpux-node [default: ws://127.0.0.1:9944].
	#[arg(long, env = "GPUX_NODE_URL", global = true)]
	node: Option<String>,

	/// Simulate GPUs instead of reading NVML, e.g. `2xRTX4090`.
	#[arg(long, value_name = "COUNTxMODEL", global = true)]
	simulate: Option<SimulatedGpus>,

	/// With --simulate: the simulated GPUs, if of a class that offers it (H100), are in
	/// confidential-computing mode and answer with stand-in attestation reports (unsigned).
	#[arg(long, global = true, requires = "simulate")]
	simulate_cc: bool,

	/// A TOML file with any of: node, keystore, machine, metrics, workspaces, provisioner.
	/// Flags override it.
	#[arg(long, env = "GPUX_WORKER_CONFIG", global = true)]
	config: Option<PathBuf>,

	/// The machine key's file [default: ~/.gpux-worker/machine.key].
	#[arg(long, env = "GPUX_KEYSTORE", global = true)]
	keystore: Option<PathBuf>,

	/// A file whose first line is the machine key's passphrase (the environment variable
	/// GPUX_KEY_PASSPHRASE, if set, is used instead). With one, `init` encrypts the new key.
	#[arg(long, env = "GPUX_KEY_PASSPHRASE_FILE", global = true)]
	key_passphrase_file: Option<PathBuf>,

	/// Where challenges are solved: `auto` (the GPU if CUDA loads, else the CPU), `cpu`, `gpu`.
	#[arg(long, value_enum, default_value = "auto", global = true)]
	solver: challenge::SolverChoice,

	/// When every GPU is leased, how long one challenge may borrow a leased GPU, ms (estimated
	/// from the last solve); past it the CPU answers.
	#[arg(long, default_value_t = 5_000, global = true)]
	leased_gpu_budget_ms: u64,

	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// Create this machine's worker key (a file only its owner can read; encrypted when a
	/// passphrase is given).
	Init,
	/// Encrypt the existing plain worker key with the passphrase given.
	EncryptKey,
	/// Register this machine, with the specs its GPUs report, under a provider account.
	Register(register::RegisterArgs),
	/// Print this machine's worker key and its proof of possession for a provider account,
	/// for `marketplace.setWorkerKey` (moving a machine onto this host's key).
	ProveKey {
		/// The provider's address.
		#[arg(long)]
		provider: String,
	},
	/// Run: heartbeats, challenges and lease provisioning until SIGINT or SIGTERM.
	Run {
		/// This machine's id on chain (`register` prints it).
		#[arg(long)]
		machine: Option<u64>,
		/// Serve Prometheus metrics here, e.g. 127.0.0.1:9616.
		#[arg(long)]
		metrics: Option<SocketAddr>,
		/// Where lease workspaces go [default: ~/.gpux-worker/leases].
		#[arg(long)]
		workspaces: Option<PathBuf>,
		/// `local` (workspaces on this host) or `docker` (a container per lease).
		#[arg(long)]
		provisioner: Option<String>,
		/// The host name renters reach this machine at.
		#[arg(long, default_value = "127.0.0.1")]
		public_host: String,
		/// The SSH port renters use (local provisioner).
		#[arg(long, default_value_t = 22)]
		ssh_port: u16,
		/// The image lease containers run (docker provisioner; scripts/build-lease-image.sh).
		#[arg(long, default_value = "gpux/lease:1")]
		docker_image: String,
		/// Host ports lease containers publish (docker provisioner): two per GPU at least.
		#[arg(long, default_value = "40000-40999", value_parser = provision::parse_range)]
		port_range: std::ops::RangeInclusive<u16>,
		/// The host address lease ports are published on (docker provisioner).
		#[arg(long, default_value = "0.0.0.0")]
		bind: std::net::IpAddr,
		/// Disk for leases, GiB, shared by GPU where Docker can cap it (docker provisioner;
		/// `register --disk-gib` declares the same).
		#[arg(long, default_value_t = 500)]
		lease_disk_gib: u64,
	},
	/// Show what the worker sees: this host's GPUs, then the machine as the chain sees it
	/// (registration, listing, last heartbeat, open challenges, leases and endpoints, bond).
	Status {
		/// The machine's id on chain [default: the machine of this keystore's key].
		#[arg(long)]
		machine: Option<u64>,
	},
	/// Solve one proof-of-GPU challenge here and time it, to check this machine answers its
	/// class's challenges (`attestation.challengeSizes`) before the deadline.
	Challenge {
		/// Rows of 1,024 int8 values.
		#[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CHALLENGE_ROWS)))]
		rows: u32,
		/// Rounds each row is taken through.
		#[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CHALLENGE_ROUNDS)))]
		rounds: u32,
		/// Seed, 32 bytes in hex; a fixed one by default.
		#[arg(long, value_parser = parse_hash32)]
		seed: Option<[u8; 32]>,
	},
	/// Check a GPU evidence file (kept by a worker under `<workspaces>/.state/evidence/`)
	/// against its challenge: the hash attested on chain and the nonce of the challenge's
	/// seed. The reports' signatures are then checked with NVIDIA's `nvattest attest
	/// --gpu-evidence FILE`.
	CheckEvidence {
		/// The evidence file.
		file: PathBuf,
		/// The challenge's seed (its `ChallengeIssued` event), hex.
		#[arg(long, value_parser = parse_hash32)]
		seed: [u8; 32],
		/// The hash attested (the `GpuEvidenceAttested` event's `evidence`), hex.
		#[arg(long, value_parser = parse_hash32)]
		hash: [u8; 32],
	},
}

/// 32 bytes in hex (a seed or a hash), with or without `0x`.
fn parse_hash32(s: &str) -> Result<[u8; 32], String> {
	let hex = s.strip_prefix("0x").unwrap_or(s);
	if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
		return Err("expected 64 hex digits (32 bytes)".into());
	}
	let mut seed = [0u8; 32];
	for (i, byte) in seed.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
	}
	Ok(seed)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
	tracing_subscriber::fmt()
		// Colours only on a terminal: journald and log files get plain text.
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.with_writer(std::io::stderr)
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	match run(Cli::parse()).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("gpux-worker: {e}");
			std::process::ExitCode::FAILURE
		},
	}
}

async fn run(cli: Cli) -> Result<(), Error> {
	let file = match &cli.config {
		Some(path) => FileConfig::load(path)?,
		None => FileConfig::default(),
	};
	let simulate =
		cli.simulate.map(|gpus| gpu::SimulatedGpus { confidential: cli.simulate_cc, ..gpus });
	let node = cli.node.or(file.node).unwrap_or_else(|| "ws://127.0.0.1:9944".into());
	config::check_node_url(&node)?;
	let keystore = signer::keystore_path(cli.keystore, file.keystore);
	let passphrase = signer::passphrase(cli.key_passphrase_file.as_deref())?;
	let passphrase = passphrase.as_deref();
	match cli.command {
		Command::Status { machine } => {
			println!("node: {node}");
			let gpus = gpu::probe_for(simulate.clone()).and_then(|probe| probe.read());
			match &gpus {
				Ok(report) => print!("{report}"),
				Err(e) => println!("gpus: {e}"),
			}
			let key = signer::MachineKey::load(&keystore, passphrase).ok();
			let asked = status::chain_status(&node, machine.or(file.machine), key.as_ref());
			match tokio::time::timeout(std::time::Duration::from_secs(20), asked).await {
				Ok(Ok(text)) => print!("{text}"),
				Ok(Err(e)) => println!("chain: {e}"),
				Err(_) => println!("chain: {node} did not answer within 20 s"),
			}
			gpus.map(|_| ())
		},
		Command::CheckEvidence { file, seed, hash } => {
			let bytes = std::fs::read(&file)
				.map_err(|e| Error::Config(format!("{}: {e}", file.display())))?;
			let gpus = gpu::evidence::check(&bytes, &seed, &hash)
				.map_err(|e| Error::Evidence(e.to_string()))?;
			println!("{}: the attested file, {gpus} GPU report(s) requested with the challenge's nonce 0x{}", file.display(), hex::encode(gpux_primitives::attestation::cc_nonce(&seed)));
			println!(
				"next: nvattest attest --device gpu --verifier local --gpu-evidence {}",
				file.display()
			);
			Ok(())
		},
		Command::Challenge { rows, rounds, seed } => {
			let size = ChallengeSize { rows, rounds };
			solve_locally(cli.solver, budget(cli.leased_gpu_budget_ms), size, seed)
		},
		Command::Init => {
			let key = signer::MachineKey::create(&keystore, passphrase)?;
			let how = if passphrase.is_some() { " (encrypted)" } else { "" };
			println!("created {}{how}", keystore.display());
			println!("worker key: {}", key.public_hex());
			println!("address:    {}", key.address());
			println!("next: gpux-worker register --provider-suri <provider's secret>");
			Ok(())
		},
		Command::EncryptKey => {
			let passphrase = passphrase.ok_or_else(|| {
				Error::Keystore(
					"give the passphrase in GPUX_KEY_PASSPHRASE or --key-passphrase-file".into(),
				)
			})?;
			let key = signer::MachineKey::encrypt_file(&keystore, passphrase)?;
			println!("encrypted {} (worker key {})", keystore.display(), key.public_hex());
			Ok(())
		},
		Command::Register(args) => {
			let key = signer::MachineKey::load(&keystore, passphrase)?;
			let probe = gpu::probe_for(simulate.clone())?;
			register::register(&node, &key, probe.as_ref(), args).await
		},
		Command::ProveKey { provider } => {
			let key = signer::MachineKey::load(&keystore, passphrase)?;
			register::prove_key(&node, &key, &provider).await
		},
		Command::Run {
			machine,
			metrics,
			workspaces,
			provisioner,
			public_host,
			ssh_port,
			docker_image,
			port_range,
			bind,
			lease_disk_gib,
		} => {
			let key = Arc::new(signer::MachineKey::load(&keystore, passphrase)?);
			let machine = machine.or(file.machine).ok_or_else(|| {
				Error::Config("which machine? pass --machine ID (printed by `register`)".into())
			})?;
			let simulated = simulate.is_some();
			let probe: Arc<dyn gpu::GpuProbe> = gpu::probe_for(simulate.clone())?.into();
			let workspaces =
				workspaces.or(file.workspaces).unwrap_or_else(|| keystore.with_file_name("leases"));
			let kind: ProvisionerKind =
				provisioner.or(file.provisioner).as_deref().unwrap_or("local").parse()?;
			let provisioner: Arc<dyn provision::Provisioner> = match kind {
				ProvisionerKind::Local => Arc::new(provision::LocalProvisioner::new(
					workspaces.clone(),
					public_host,
					ssh_port,
				)),
				ProvisionerKind::Docker => {
					let share = provision::HostShare {
						gpus: probe.read()?.gpus.len() as u32,
						cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
						memory_mib: u64::from(chain::host_ram_gib()) * 1024,
						disk_gib: lease_disk_gib,
					};
					Arc::new(provision::DockerProvisioner::new(provision::DockerConfig {
						image: docker_image,
						public_host,
						bind,
						ports: port_range,
						state_dir: workspaces.join(".docker"),
						share,
						pass_gpus: !simulated,
						command_timeout: std::time::Duration::from_secs(60),
						ready_timeout: std::time::Duration::from_secs(120),
					})?)
				},
			};
			provisioner.check()?;
			let registry = substrate_prometheus_endpoint::Registry::new();
			let worker_metrics = metrics::Metrics::register(&registry)
				.map_err(|e| Error::Config(format!("metrics: {e}")))?;
			if let Some(addr) = metrics.or(file.metrics) {
				tokio::spawn(async move {
					if let Err(e) =
						substrate_prometheus_endpoint::init_prometheus(addr, registry).await
					{
						tracing::error!("metrics on {addr}: {e}");
					}
				});
			}
			let solver = challenge::solver_for(cli.solver, budget(cli.leased_gpu_budget_ms))?;
			tracing::info!("challenges are solved on the {}", solver.name());
			let shutdown = tasks::shutdown_signal();
			tasks::run(
				node,
				machine,
				key,
				probe,
				solver,
				provisioner,
				worker_metrics,
				workspaces.join(".state"),
				shutdown,
			)
			.await
		},
	}
}

fn budget(ms: u64) -> std::time::Duration {
	std::time::Duration::from_millis(ms)
}

/// `challenge`: solve, time, and check one row the way a validator would.
fn solve_locally(
	choice: challenge::SolverChoice,
	leased_budget: std::time::Duration,
	size: ChallengeSize,
	seed: Option<[u8; 32]>,
) -> Result<(), Error> {
	let solver = challenge::solver_for(choice, leased_budget)?;
	let seed = seed.unwrap_or([0x60; 32]);
	let started = std::time::Instant::now();
	let solution = solver.solve(&seed, size)?;
	let elapsed = started.elapsed();
	let index = u32::from(seed[0]) % size.rows;
	let checked = solution
		.reveal(&[index])
		.is_some_and(|revealed| revealed[0].checks_out(&seed, &size, &solution.commitment()));
	println!("size: {} rows × {} rounds ({})", size.rows, size.rounds, solver.name());
	println!("commitment: 0x{}", hex::encode(solution.commitment()));
	println!("solved in: {:.3} s", elapsed.as_secs_f64());
	println!("row {index} checks out: {checked}");
	if checked {
		Ok(())
	} else {
		Err(Error::ChallengeSelfCheck(index))
	}
}
