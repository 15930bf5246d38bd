#![doc = include_str!("../README.md")]

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
			let gpus = cli.simulate.ok_or(Error::NoGpuSource)?;
			println!("node: {}", cli.node);
			println!("gpus: {} x {} (simulated)", gpus.count, gpus.model);
			Ok(())
		},
		Command::Init => Err(Error::NotYetAvailable("init")),
		Command::Register => Err(Error::NotYetAvailable("register")),
		Command::Run => Err(Error::NotYetAvailable("run")),
	}
}
