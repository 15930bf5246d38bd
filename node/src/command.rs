//! Runs the subcommand the operator chose.

use gpux_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::{ChainType, PartialComponents};

use crate::{
	chain_spec,
	cli::{Cli, Sealing, Subcommand},
	service,
};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"GPUX Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/gpux-chain/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		chain_spec::load(id)
	}
}

/// Local sealing would let one node rewrite a shared chain, so only dev chains may use it.
fn choose_sealing(requested: Option<Sealing>, chain_type: ChainType) -> sc_cli::Result<Sealing> {
	let is_dev = chain_type == ChainType::Development;
	match (requested, is_dev) {
		(Some(sealing), true) => Ok(sealing),
		(None, true) => Ok(Sealing::DEV_DEFAULT),
		(None | Some(Sealing::Aura), false) => Ok(Sealing::Aura),
		(Some(sealing), false) => Err(sc_cli::Error::Input(format!(
			"--sealing {sealing} is only allowed on development chains (--dev); \
			 this chain is {chain_type:?} and uses Aura + GRANDPA"
		))),
	}
}

/// Refuses to start when a port the operator asked for is taken. Upstream would move RPC to a
/// random port and leave libp2p not listening, both with only a log line, and fail on a taken
/// Prometheus port with a bare `AddrInUse`.
fn claim_ports(config: &mut sc_service::Configuration) -> sc_cli::Result<()> {
	let in_use = |what: &str, addr: std::net::SocketAddr, flag: &str| {
		sc_cli::Error::Input(format!(
			"{what} address {addr} is already in use (another gpux-node running?); \
			 free it or choose another with {flag}"
		))
	};
	let taken = |addr: std::net::SocketAddr| {
		addr.port() != 0
			&& matches!(
				std::net::TcpListener::bind(addr),
				Err(e) if e.kind() == std::io::ErrorKind::AddrInUse
			)
	};

	for addr in
		config.network.listen_addresses.iter().filter_map(|a| tcp_socket_addr(&a.to_string()))
	{
		if taken(addr) {
			return Err(in_use("p2p", addr, "--port or --listen-addr"));
		}
	}
	if let Some(prometheus) = &config.prometheus_config {
		if taken(prometheus.port) {
			return Err(in_use("Prometheus", prometheus.port, "--prometheus-port"));
		}
	}
	for endpoint in config.rpc.addr.iter_mut().flatten() {
		endpoint.retry_random_port = false;
		if !endpoint.is_optional && taken(endpoint.listen_addr) {
			return Err(in_use("RPC", endpoint.listen_addr, "--rpc-port"));
		}
	}
	Ok(())
}

/// The TCP socket of a multiaddr such as `/ip4/127.0.0.1/tcp/30333[/ws]`, if it has one.
fn tcp_socket_addr(multiaddr: &str) -> Option<std::net::SocketAddr> {
	let parts: Vec<&str> = multiaddr.split('/').collect();
	match parts.as_slice() {
		["", "ip4" | "ip6", ip, "tcp", port, ..] => {
			Some(std::net::SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
		},
		_ => None,
	}
}

/// Parse and run command line arguments.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();
	// RPC parameters (e.g. `system_accountNextIndex`) and `key inspect` read GPUX addresses.
	sp_core::crypto::set_default_ss58_version(sp_core::crypto::Ss58AddressFormat::custom(
		gpux_runtime::SS58_PREFIX,
	));

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use frame_benchmarking_cli::{BenchmarkCmd, SUBSTRATE_REFERENCE_HARDWARE};

			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| match cmd {
				BenchmarkCmd::Pallet(cmd) => cmd
					.run_with_spec::<sp_runtime::traits::HashingFor<Block>, ()>(Some(
						config.chain_spec,
					)),
				BenchmarkCmd::Block(cmd) => {
					let PartialComponents { client, .. } = service::new_partial(&config)?;
					cmd.run(client)
				},
				BenchmarkCmd::Storage(cmd) => {
					let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
					let db = backend.expose_db();
					let storage = backend.expose_storage();
					let shared_cache = backend.expose_shared_trie_cache();
					cmd.run(config, client, db, storage, shared_cache)
				},
				// Builds its own client on a temporary database and signs `System::remark`s.
				BenchmarkCmd::Overhead(cmd) => cmd
					.run_with_default_builder_and_spec::<frame_benchmarking_cli::OpaqueBlock, ()>(
						Some(config.chain_spec),
					),
				BenchmarkCmd::Machine(cmd) => {
					cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone())
				},
				BenchmarkCmd::Extrinsic(_) => Err("`benchmark extrinsic` is not wired into \
					gpux-node: `benchmark overhead` measures the extrinsic base weight"
					.into()),
			})
		},
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let requested = cli.sealing;
			runner.run_node_until_exit(|mut config| async move {
				claim_ports(&mut config)?;
				let sealing = choose_sealing(requested, config.chain_spec.chain_type())?;
				log::info!("⛏  Block production: {sealing}");
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config, sealing)
					.map_err(sc_cli::Error::Service),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, sealing)
							.map_err(sc_cli::Error::Service)
					},
				}
			})
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_chains_seal_every_second_by_default() {
		assert_eq!(choose_sealing(None, ChainType::Development).unwrap(), Sealing::DEV_DEFAULT);
		assert_eq!(
			choose_sealing(Some(Sealing::Instant), ChainType::Development).unwrap(),
			Sealing::Instant
		);
	}

	#[test]
	fn multiaddrs_yield_their_tcp_socket() {
		assert_eq!(
			tcp_socket_addr("/ip4/127.0.0.1/tcp/30333"),
			Some("127.0.0.1:30333".parse().unwrap())
		);
		assert_eq!(tcp_socket_addr("/ip6/::/tcp/30333/ws"), Some("[::]:30333".parse().unwrap()));
		assert_eq!(tcp_socket_addr("/dns/example.invalid/tcp/30333"), None);
		assert_eq!(tcp_socket_addr("/ip4/127.0.0.1/udp/30333/quic-v1"), None);
	}

	#[test]
	fn shared_chains_refuse_local_sealing() {
		assert_eq!(choose_sealing(None, ChainType::Local).unwrap(), Sealing::Aura);
		let err = choose_sealing(Some(Sealing::Manual), ChainType::Live).unwrap_err();
		assert!(err.to_string().contains("only allowed on development chains"), "{err}");
	}
}
