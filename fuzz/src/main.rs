//! `gpux-fuzz`: random call sequences through the real runtime, invariants after every block.
//! `gpux-fuzz --help` for the options; the README for what is checked.

use std::{process::ExitCode, time::Instant};

use codec::Encode;
use gpux_fuzz::{dev_chain, populated, run_on, Config, Stats};

const HELP: &str = "\
gpux-fuzz: random call sequences through the GPUX runtime, every invariant checked after every block

USAGE: gpux-fuzz [--seed N] [--seeds N] [--calls N] [--max-calls-per-block N] [--decode-state-every N] [--coverage] [--snapshot FILE]

  --seed N                 the first seed (default 0); a run is replayed by its seed and settings
  --seeds N                run N seeds, N..N+count (default 1)
  --calls N                extrinsics per seed (default 10000)
  --max-calls-per-block N  each block draws 0..=N extrinsics (default 24)
  --decode-state-every N   decode every stored value every N blocks (default 1; 0 never)
  --coverage               print, per call, how often it succeeded, failed (by error) or was refused
  --snapshot FILE          write the last seed's final state to FILE (SCALE pairs, no code), the
                           populated chain the upgrade test starts from (fuzz/snapshots/dev.scale)
";

struct Options {
	config: Config,
	seeds: u64,
	coverage: bool,
	snapshot: Option<String>,
}

fn parse() -> Result<Options, String> {
	let mut config = Config::default();
	let (mut seeds, mut coverage, mut snapshot) = (1u64, false, None);
	let mut args = std::env::args().skip(1);
	while let Some(arg) = args.next() {
		let mut number = |name: &str| -> Result<u64, String> {
			let value = args.next().ok_or(format!("{name} needs a number"))?;
			value.parse().map_err(|_| format!("{name}: `{value}` is not a number"))
		};
		match arg.as_str() {
			"--seed" => config.seed = number("--seed")?,
			"--seeds" => seeds = number("--seeds")?,
			"--calls" => config.calls = number("--calls")?,
			"--max-calls-per-block" => {
				config.max_calls_per_block = number("--max-calls-per-block")?
			},
			"--decode-state-every" => {
				config.decode_state_every = u32::try_from(number("--decode-state-every")?)
					.map_err(|_| "--decode-state-every: too large".to_string())?
			},
			"--coverage" => coverage = true,
			"--snapshot" => snapshot = Some(args.next().ok_or("--snapshot needs a file")?),
			"-h" | "--help" => {
				print!("{HELP}");
				std::process::exit(0);
			},
			other => return Err(format!("unknown argument `{other}`\n\n{HELP}")),
		}
	}
	Ok(Options { config, seeds, coverage, snapshot })
}

fn print_coverage(stats: &Stats) {
	for (call, outcomes) in &stats.by_call {
		let failed: u64 = outcomes.failed.values().sum();
		let refused: u64 = outcomes.refused.values().sum();
		println!("{call:<48} ok {:>8}  failed {failed:>8}  refused {refused:>8}", outcomes.ok);
		for (error, count) in &outcomes.failed {
			println!("    failed:  {error:<44} {count:>8}");
		}
		for (reason, count) in &outcomes.refused {
			println!("    refused: {reason:<44} {count:>8}");
		}
	}
}

fn main() -> ExitCode {
	let Options { config, seeds, coverage, snapshot } = match parse() {
		Ok(parsed) => parsed,
		Err(message) => {
			eprintln!("{message}");
			return ExitCode::from(2);
		},
	};
	let started = Instant::now();
	let mut total = Stats::default();
	for seed in config.seed..config.seed.saturating_add(seeds) {
		let config = Config { seed, ..config.clone() };
		let mut last_report = Instant::now();
		let mut chain = dev_chain();
		let result = run_on(&mut chain, &config, |stats| {
			if last_report.elapsed().as_secs() >= 30 {
				last_report = Instant::now();
				eprintln!(
					"seed {seed}: {} calls, {} blocks, {:.0?}",
					stats.calls, stats.blocks, stats.elapsed
				);
			}
		});
		match result {
			Ok(stats) => {
				println!(
					"seed {seed}: {} calls ({} succeeded, {} refused) in {} blocks, {} invariant checks, {} whole-state decodes: no finding ({:.1?})",
					stats.calls,
					stats.ok(),
					stats.refused(),
					stats.blocks,
					stats.checks,
					stats.state_decodes,
					stats.elapsed
				);
				if let Some(path) = &snapshot {
					// Goes on, 500 calls at a time, until the state holds what the upgrade
					// rehearsal needs.
					for more in 1..=100u64 {
						if chain.read(populated).is_ok() {
							break;
						}
						let more = Config {
							seed: seed.wrapping_add(more << 32),
							calls: 500,
							..config.clone()
						};
						if let Err(finding) = run_on(&mut chain, &more, |_| {}) {
							eprintln!("FINDING: {finding}");
							return ExitCode::FAILURE;
						}
					}
					if let Err(missing) = chain.read(populated) {
						eprintln!("the snapshot would not be populated enough: {missing}");
						return ExitCode::FAILURE;
					}
					if let Err(e) = std::fs::write(path, chain.snapshot().encode()) {
						eprintln!("cannot write {path}: {e}");
						return ExitCode::FAILURE;
					}
				}
				total.calls += stats.calls;
				total.blocks += stats.blocks;
				total.checks += stats.checks;
				total.state_decodes += stats.state_decodes;
				for (call, outcomes) in stats.by_call {
					let sum = total.by_call.entry(call).or_default();
					sum.ok += outcomes.ok;
					for (reason, count) in outcomes.refused {
						*sum.refused.entry(reason).or_default() += count;
					}
					for (error, count) in outcomes.failed {
						*sum.failed.entry(error).or_default() += count;
					}
				}
			},
			Err(finding) => {
				eprintln!("FINDING: {finding}");
				return ExitCode::FAILURE;
			},
		}
	}
	if coverage {
		print_coverage(&total);
	}
	println!(
		"total: {} seeds, {} calls ({} succeeded, {} refused), {} blocks, {} invariant checks, {} whole-state decodes, {:.1?}: no finding",
		seeds,
		total.calls,
		total.ok(),
		total.refused(),
		total.blocks,
		total.checks,
		total.state_decodes,
		started.elapsed()
	);
	ExitCode::SUCCESS
}
