#![doc = include_str!("../README.md")]

mod account;
mod chain;
mod leases;
mod market;
mod output;
mod provider;

use std::path::PathBuf;

use clap::{
	parser::ValueSource, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand,
};

use crate::output::Out;

/// gpux: rent GPUs on GPUX chain, use and end leases, and run a provider's books.
#[derive(Parser)]
#[command(name = "gpux", version, about, max_term_width = 100)]
pub struct Cli {
	/// The node to talk to.
	#[arg(long, env = "GPUX_NODE_URL", default_value = "ws://127.0.0.1:9944", global = true)]
	node: String,
	/// Print JSON (one document per command) instead of text.
	#[arg(long, global = true)]
	json: bool,
	#[command(flatten)]
	key: KeyArgs,
	#[command(subcommand)]
	command: Command,
}

/// Where the signing account comes from (first given wins): a secret URI, or a key file.
#[derive(Args, Clone)]
pub struct KeyArgs {
	/// The account's secret URI: a mnemonic, `0x` and a seed, or a dev account such as `//Alice`.
	#[arg(long, env = "GPUX_SURI", hide_env_values = true, global = true)]
	suri: Option<String>,
	/// A key file (`0x` and a 32-byte seed, or encrypted as `gpux-worker init --encrypt` writes
	/// them; passphrase from GPUX_KEY_PASSPHRASE or --key-passphrase-file).
	#[arg(long, env = "GPUX_KEY_FILE", global = true)]
	key_file: Option<PathBuf>,
	/// The passphrase of an encrypted key file, in a file (first line).
	#[arg(long, env = "GPUX_KEY_PASSPHRASE_FILE", global = true)]
	key_passphrase_file: Option<PathBuf>,
	/// Which of `suri` and `key_file` the command line gave (it wins over the environment).
	#[arg(skip)]
	given: Option<KeySource>,
}

/// The signing key the user named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
	Suri,
	KeyFile,
}

impl KeyArgs {
	/// Notes which key argument the command line gave: an explicit `--key-file` then wins over
	/// an exported `GPUX_SURI`, and the other way round.
	fn note_source(&mut self, matches: &ArgMatches) -> Result<(), Error> {
		let deepest = |m: &ArgMatches, id: &str| {
			let mut m = m;
			let mut source = m.value_source(id);
			while let Some((_, sub)) = m.subcommand() {
				m = sub;
				source = m.value_source(id).or(source);
			}
			source
		};
		let cli = |id| deepest(matches, id) == Some(ValueSource::CommandLine);
		self.given = match (cli("suri"), cli("key_file")) {
			(true, true) => return Err(Error::Input("give --suri or --key-file, not both".into())),
			(true, false) => Some(KeySource::Suri),
			(false, true) => Some(KeySource::KeyFile),
			(false, false) => None,
		};
		Ok(())
	}
}

#[derive(Subcommand)]
enum Command {
	/// Listings that match the filters, sorted.
	Listings(market::ListingsArgs),
	/// What the best match for the requirements would cost.
	Quote(market::QuoteArgs),
	/// Rents GPUs of a listed machine (escrow held, unused time refunded).
	Rent(market::RentArgs),
	/// Places an order the matching engine fills now or when a machine fits.
	Order(market::OrderArgs),
	/// Jobs: post one for providers to bid on, see its bids, accept its result.
	#[command(subcommand)]
	Job(market::JobCommand),
	/// The account's leases: state, time left, spend, how to connect.
	Leases(leases::LeasesArgs),
	/// Extends a lease.
	Extend {
		lease: u64,
		/// How much longer.
		#[command(flatten)]
		extra: market::Length,
	},
	/// Ends a lease now; the unused escrow is refunded.
	Terminate { lease: u64 },
	/// Rates a closed lease, 1 to 5 stars.
	Rate { lease: u64, stars: u8 },
	/// Logs into a lease over SSH, trusting only the host key the worker attested.
	Ssh(leases::SshArgs),
	/// Opens a lease's Jupyter token with the seal secret and prints the link.
	Jupyter(leases::JupyterArgs),
	/// Makes a seal key pair: the secret into FILE (mode 0600), the public key printed for
	/// `--seal-key` (it seals the Jupyter tokens of your leases).
	SealKey { file: PathBuf },
	/// A provider's machines, earnings and claims.
	#[command(subcommand)]
	Provider(provider::ProviderCommand),
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
	let matches = Cli::command().get_matches();
	let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
	let out = Out::new(cli.json);
	if let Err(e) = cli.key.note_source(&matches) {
		out.fail(&e);
		std::process::exit(2);
	}
	if let Err(e) = run(cli, &out).await {
		out.fail(&e);
		std::process::exit(1);
	}
}

async fn run(cli: Cli, out: &Out) -> Result<(), Error> {
	if let Command::SealKey { file } = &cli.command {
		return leases::new_seal_key(file, out);
	}
	let chain = chain::connect(&cli.node).await?;
	match cli.command {
		Command::Listings(args) => market::listings(&chain, args, out).await,
		Command::Quote(args) => market::quote(&chain, args, out).await,
		Command::Rent(args) => market::rent(&chain, &cli.key, args, out).await,
		Command::Order(args) => market::order(&chain, &cli.key, args, out).await,
		Command::Job(job) => market::job(&chain, &cli.key, job, out).await,
		Command::Leases(args) => leases::list(&chain, &cli.key, args, out).await,
		Command::Extend { lease, extra } => {
			leases::extend(&chain, &cli.key, lease, extra.blocks()?, out).await
		},
		Command::Terminate { lease } => leases::terminate(&chain, &cli.key, lease, out).await,
		Command::Rate { lease, stars } => leases::rate(&chain, &cli.key, lease, stars, out).await,
		Command::Ssh(args) => leases::ssh(&chain, args).await,
		Command::Jupyter(args) => leases::jupyter(&chain, args, out).await,
		Command::Provider(command) => provider::run(&chain, &cli.key, command, out).await,
		Command::SealKey { .. } => Ok(()), // answered before connecting
	}
}

/// Why a command stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The node, a key file or a transaction failed.
	#[error(transparent)]
	Client(#[from] gpux_client::Error),
	/// The command's input is wrong in a way the chain would refuse: nothing was signed.
	#[error("{0} (nothing was signed)")]
	Input(String),
	/// Signed, but found unpayable before it was sent: nothing reached the chain.
	#[error("{0} (not sent)")]
	Unsent(String),
	/// What was asked for does not exist (a lease, a machine).
	#[error("{0}")]
	NotFound(String),
	/// A local program (ssh, ssh-keyscan) or file failed.
	#[error("{0}")]
	Local(String),
}

#[cfg(test)]
mod tests {
	use clap::CommandFactory;

	#[test]
	fn the_command_line_is_well_formed() {
		super::Cli::command().debug_assert();
	}
}
