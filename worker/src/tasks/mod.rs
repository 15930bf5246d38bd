//! The running worker: one connection supervisor and three tasks, all stopped by one signal.
//!
//! ```text
//!                 ┌────────────┐  chain (watch)   ┌────────────┐
//!  gpux-node ◄─ws─┤ supervisor ├─────────────────►│ heartbeat  ├─► heartbeat per window
//!                 │ reconnects │  heads (watch)   ├────────────┤
//!                 │ w/ backoff ├─────────────────►│ challenges ├─► commit / reveal (solver on
//!                 └─────▲──────┘                  ├────────────┤   a blocking thread)
//!                       │                         │ leases     ├─► Provisioner start / notify /
//!  SIGINT, SIGTERM ─────┴── shutdown (watch) ────►└────────────┘   stop ─► attest start / end
//! ```
//!
//! The channels are `watch` channels: each holds only the latest value, so a slow task skips
//! to the newest block instead of queueing. Every task derives what to do from chain state on
//! each new block (has this window's heartbeat landed? is this challenge committed? is this
//! lease's start attested?), so work lost to a node restart or a dropped connection is simply
//! done again, and the chain refuses duplicates by name.

mod challenges;
mod heartbeat;
mod leases;

use std::{sync::Arc, time::Duration};

use gpux_primitives::MachineId;
use tokio::sync::watch;

use crate::{
	chain::keys,
	challenge::ChallengeSolver,
	client::{header_number, Chain, Head},
	error::Error,
	gpu::GpuProbe,
	metrics::Metrics,
	provision::Provisioner,
	signer::MachineKey,
};

/// What every task shares.
#[derive(Clone)]
pub struct Context {
	pub machine: MachineId,
	pub key: Arc<MachineKey>,
	pub probe: Arc<dyn GpuProbe>,
	pub solver: Arc<dyn ChallengeSolver>,
	pub provisioner: Arc<dyn Provisioner>,
	pub metrics: Metrics,
	pub chain: watch::Receiver<Option<Arc<Chain>>>,
	pub heads: watch::Receiver<Option<Head>>,
	pub shutdown: watch::Receiver<bool>,
}

impl Context {
	/// Waits for the next block; `None` when the worker stops.
	async fn next_block(&mut self) -> Option<(Arc<Chain>, Head)> {
		loop {
			tokio::select! {
				changed = self.heads.changed() => {
					changed.ok()?;
					let head = *self.heads.borrow_and_update();
					let chain = self.chain.borrow().clone();
					if let (Some(chain), Some(head)) = (chain, head) {
						return Some((chain, head));
					}
				},
				_ = self.shutdown.wait_for(|stop| *stop) => return None,
			}
		}
	}
}

/// Ends the returned receiver's wait on SIGINT or SIGTERM.
pub fn shutdown_signal() -> watch::Receiver<bool> {
	let (tx, rx) = watch::channel(false);
	tokio::spawn(async move {
		let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
			.expect("SIGTERM can be watched");
		tokio::select! {
			_ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
			_ = term.recv() => tracing::info!("SIGTERM: stopping"),
		}
		let _ = tx.send(true);
	});
	rx
}

/// Checks the node knows this machine under this key: a worker that signs with the wrong key
/// would only collect refusals.
async fn check_machine(chain: &Chain, machine: MachineId, key: &MachineKey) -> Result<(), Error> {
	let record: Option<pallet_marketplace::MachineRecordOf<gpux_runtime::Runtime>> =
		chain.storage(&keys::machine(machine)).await?;
	let record = record.ok_or_else(|| {
		Error::Config(format!(
			"machine {machine} is not registered on this chain; run `gpux-worker register`"
		))
	})?;
	if record.worker_key != key.public() {
		return Err(Error::Config(format!(
			"machine {machine} is registered with worker key 0x{}, not this keystore's {}",
			hex::encode(record.worker_key.0),
			key.public_hex()
		)));
	}
	Ok(())
}

/// Runs the worker until SIGINT or SIGTERM.
pub async fn run(
	url: String,
	machine: MachineId,
	key: Arc<MachineKey>,
	probe: Arc<dyn GpuProbe>,
	solver: Arc<dyn ChallengeSolver>,
	provisioner: Arc<dyn Provisioner>,
	metrics: Metrics,
	state_dir: std::path::PathBuf,
	mut shutdown: watch::Receiver<bool>,
) -> Result<(), Error> {
	let (chain_tx, chain_rx) = watch::channel(None);
	let (heads_tx, heads_rx) = watch::channel(None);
	let ctx = Context {
		machine,
		key: key.clone(),
		probe,
		solver,
		provisioner,
		metrics: metrics.clone(),
		chain: chain_rx,
		heads: heads_rx,
		shutdown: shutdown.clone(),
	};
	let tasks = [
		tokio::spawn(heartbeat::run(ctx.clone())),
		tokio::spawn(challenges::run(ctx.clone())),
		tokio::spawn(leases::run(ctx, state_dir)),
	];

	let mut first = true;
	let outcome = loop {
		let Some(chain) = Chain::connect_with_backoff(&url, &mut shutdown).await else {
			break Ok(());
		};
		if let Err(e) = check_machine(&chain, machine, &key).await {
			break Err(e);
		}
		if !first {
			metrics.reconnects.inc();
		}
		first = false;
		tracing::info!(machine, node = %url, key = %key.public_hex(), "connected");
		let chain = Arc::new(chain);
		let mut heads = match chain.subscribe_heads().await {
			Ok(heads) => heads,
			Err(e) => {
				tracing::warn!("{e}");
				continue;
			},
		};
		let _ = chain_tx.send(Some(chain.clone()));
		let stopped = loop {
			tokio::select! {
				header = heads.next() => match header {
					Some(Ok(header)) => {
						if let Some(number) = header_number(&header) {
							metrics.best_block.set(number.into());
							let _ = heads_tx.send(Some(Head { number }));
						}
					},
					Some(Err(e)) => tracing::warn!("bad header from the node: {e}"),
					None => {
						tracing::warn!("lost the connection to {url}; reconnecting");
						break false;
					},
				},
				_ = shutdown.wait_for(|stop| *stop) => break true,
			}
		};
		let _ = chain_tx.send(None);
		if stopped {
			break Ok(());
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	};

	// Tasks finish the step they are in (a submission, a workspace change), then stop: the
	// closed channel ends their wait for the next block.
	drop(heads_tx);
	drop(chain_tx);
	for task in tasks {
		let abort = task.abort_handle();
		if tokio::time::timeout(Duration::from_secs(10), task).await.is_err() {
			abort.abort();
		}
	}
	outcome
}
