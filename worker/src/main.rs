#![doc = include_str!("../README.md")]

mod challenge;
mod error;
mod gpu;

use clap::{Parser, Subcommand};
use error::Error;
use gpu::SimulatedGpus;

/// The GPUX provider daemon.
#[derive(Debug, Parser)]
#[command(name = "gpux-worker", version, about)]
struct Cli {
	/// WebSocket endpoint of the local gpux-node.
	#[arg(long, env = "GPUX_NODE_URL", default_value = "ws://127.0.0.1:9944", global = true)]
	node: String,

	/// Simulate GPUs instead of reading NVML, e.g. `2xRTX4090`.
	#[arg(long, value_name = "COUNTxMODEL", global = true)]
	simulate: Option<SimulatedGpus>,

	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// Create this machine's worker key.
	Init,
	/// Register this machine and its detected specs on chain.
	Register,
	/// Run: heartbeats, challenges and lease provisioning until stopped.
	Run,
	/// Show what the worker sees.
	Status,
	/// Solve one proof-of-GPU challenge of size `n` here and time it, to check this machine
	/// answers its class's challenges before the deadline.
	Challenge {
		/// Matrix size (n×n).
		#[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
		size: u32,
		/// Seed, 32 bytes in hex; a fixed one by default.
		#[arg(long, value_parser = parse_seed)]
		seed: Option<[u8; 32]>,
	},
}

/// A 32-byte seed in hex, with or without `0x`.
fn parse_seed(s: &str) -> Result<[u8; 32], String> {
	let hex = s.strip_prefix("0x").unwrap_or(s);
	if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
		return Err("a seed is 64 hex digits (32 bytes)".into());
	}
	let mut seed = [0u8; 32];
	for (i, byte) in seed.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
	}
	Ok(seed)
}

fn main() -> std::process::ExitCode {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.init();
	match run(Cli::parse()) {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("gpux-worker: {e}");
			std::process::ExitCode::FAILURE
		},
	}
}

fn run(cli: Cli) -> Result<(), Error> {
	match cli.command {
		Command::Status => {
			let report = gpu::probe_for(cli.simulate)?.read()?;
			println!("node: {}", cli.node);
			print!("{report}");
			Ok(())
		},
		Command::Challenge { size, seed } => {
			use challenge::ChallengeSolver;
			let seed = seed.unwrap_or([0x60; 32]);
			let started = std::time::Instant::now();
			let solution = challenge::CpuSolver.solve(&seed, size);
			let elapsed = started.elapsed();
			// Check one row the way a validator would, from the seed alone.
			let index = u32::from(seed[0]) % size;
			let checked = solution
				.reveal(index)
				.is_some_and(|revealed| revealed.verifies(&seed, size, &solution.commitment()));
			println!("size: {size}x{size} (CPU)");
			println!(
				"commitment: 0x{}",
				solution.commitment().iter().map(|b| format!("{b:02x}")).collect::<String>()
			);
			println!("solved in: {:.3} s", elapsed.as_secs_f64());
			println!("row {index} checks out: {checked}");
			if checked {
				Ok(())
			} else {
				Err(Error::ChallengeSelfCheck(index))
			}
		},
		Command::Init => Err(Error::NotYetAvailable("init")),
		Command::Register => Err(Error::NotYetAvailable("register")),
		Command::Run => Err(Error::NotYetAvailable("run")),
	}
}
