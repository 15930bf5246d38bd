//! Command-line interface: the standard Substrate subcommands plus `--sealing`.

use std::{fmt, str::FromStr};

/// How this node produces blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealing {
	/// Aura slots with GRANDPA finality: every real network.
	Aura,
	/// Seal a block as soon as a transaction arrives, and finalize it.
	Instant,
	/// Seal only when `engine_createBlock` is called over RPC.
	Manual,
	/// Seal (and finalize) a block every this many milliseconds; RPC may seal more.
	Interval(u64),
}

impl Sealing {
	/// The default for `--dev`: a finalized block every second.
	pub const DEV_DEFAULT: Sealing = Sealing::Interval(1_000);
}

impl FromStr for Sealing {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		match s {
			"aura" => Ok(Sealing::Aura),
			"instant" => Ok(Sealing::Instant),
			"manual" => Ok(Sealing::Manual),
			millis => match millis.trim_end_matches("ms").parse::<u64>() {
				Ok(0) => Err("an interval must be at least 1 ms".into()),
				Ok(ms) => Ok(Sealing::Interval(ms)),
				Err(_) => Err(format!(
					"unknown sealing `{s}`: expected aura, instant, manual, or an interval in \
					 milliseconds such as 1000 or 500ms"
				)),
			},
		}
	}
}

impl fmt::Display for Sealing {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			Sealing::Aura => write!(f, "aura"),
			Sealing::Instant => write!(f, "instant"),
			Sealing::Manual => write!(f, "manual"),
			Sealing::Interval(ms) => write!(f, "{ms}ms"),
		}
	}
}

#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// How blocks are produced: `aura` (Aura + GRANDPA), `instant` (one block per
	/// transaction), `manual` (only on `engine_createBlock`), or an interval in milliseconds.
	/// Defaults to a 1000 ms interval on development chains and `aura` everywhere else; only
	/// development chains may seal locally.
	#[arg(long, value_name = "MODE")]
	pub sealing: Option<Sealing>,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management cli utilities
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	#[deprecated(note = "build-spec will be removed; use export-chain-spec instead")]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Sub-commands concerned with benchmarking (build with `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Db meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}

#[cfg(test)]
mod tests {
	use super::Sealing;

	#[test]
	fn sealing_modes_parse() {
		assert_eq!("aura".parse(), Ok(Sealing::Aura));
		assert_eq!("instant".parse(), Ok(Sealing::Instant));
		assert_eq!("manual".parse(), Ok(Sealing::Manual));
		assert_eq!("250".parse(), Ok(Sealing::Interval(250)));
		assert_eq!("500ms".parse(), Ok(Sealing::Interval(500)));
	}

	#[test]
	fn bad_sealing_modes_are_refused_with_a_reason() {
		assert!("0".parse::<Sealing>().unwrap_err().contains("at least 1 ms"));
		assert!("fast".parse::<Sealing>().unwrap_err().contains("unknown sealing `fast`"));
	}
}
