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

use std::{
	future::Future,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use gpux_primitives::MachineId;
use substrate_prometheus_endpoint::{Counter, U64};
use tokio::{sync::watch, task::JoinHandle};

use crate::{
	chain::keys,
	challenge::ChallengeSolver,
	client::{header_number, spec_version, Chain, Head},
	compat::{Compat, Duty},
	error::Error,
	gpu::GpuProbe,
	metrics::Metrics,
	provision::Provisioner,
	signer::MachineKey,
};

/// A step that runs longer than this is taken for stalled: its task is restarted.
const STEP_LIMIT: Duration = Duration::from_secs(600);
/// No new block for this long: the connection is taken for dead and made again.
const HEADS_STALL: Duration = Duration::from_secs(120);
/// The longest a read of the GPUs may take (NVML can hang on a GPU that fell off the bus).
const GPU_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
	/// What the chain's runtime still shares with this worker's build.
	pub compat: watch::Receiver<Arc<Compat>>,
	pub shutdown: watch::Receiver<bool>,
	/// This task's: when its current step began.
	pub pulse: Pulse,
}

impl Context {
	/// Waits for the next block; `None` when the worker stops.
	async fn next_block(&mut self) -> Option<(Arc<Chain>, Head)> {
		self.pulse.idle();
		loop {
			tokio::select! {
				changed = self.heads.changed() => {
					changed.ok()?;
					let head = *self.heads.borrow_and_update();
					let chain = self.chain.borrow().clone();
					if let (Some(chain), Some(head)) = (chain, head) {
						self.pulse.busy();
						return Some((chain, head));
					}
				},
				_ = self.shutdown.wait_for(|stop| *stop) => return None,
			}
		}
	}

	/// Reads the GPUs on a blocking thread, within `GPU_READ_TIMEOUT`.
	async fn read_gpus(&self) -> Result<crate::gpu::GpuReport, Error> {
		self.on_gpus("GPUs", GPU_READ_TIMEOUT, |probe| probe.read()).await
	}

	/// Runs `f` on the GPU probe on a blocking thread, waiting at most `limit`: a driver that
	/// hangs costs this step `limit`, not the task.
	async fn on_gpus<R: Send + 'static>(
		&self,
		what: &'static str,
		limit: Duration,
		f: impl FnOnce(&dyn GpuProbe) -> Result<R, Error> + Send + 'static,
	) -> Result<R, Error> {
		let probe = self.probe.clone();
		let read = tokio::task::spawn_blocking(move || f(probe.as_ref()));
		match tokio::time::timeout(limit, read).await {
			Ok(Ok(answer)) => answer,
			Ok(Err(e)) => Err(Error::Nvml(what, format!("the read panicked: {e}"))),
			Err(_) => Err(Error::Nvml(what, format!("no answer within {} s", limit.as_secs()))),
		}
	}

	/// Whether the runtime lets `duty` run (compat.rs).
	fn allows(&self, duty: Duty) -> bool {
		self.compat.borrow().allows(duty)
	}
}

/// When a task's current step began (milliseconds on the process's monotonic clock, from 1;
/// 0 while it waits), for the supervisor to tell a stalled task from an idle one. Monotonic, so
/// a wall-clock jump cannot make a step look stalled.
#[derive(Clone, Default)]
pub struct Pulse(Arc<AtomicU64>);

impl Pulse {
	fn now() -> u64 {
		static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
		let start = *START.get_or_init(Instant::now);
		(start.elapsed().as_millis() as u64).saturating_add(1)
	}
	pub fn busy(&self) {
		self.0.store(Self::now(), Ordering::Relaxed);
	}
	pub fn idle(&self) {
		self.0.store(0, Ordering::Relaxed);
	}
	/// How long the current step has run, if one runs.
	fn busy_for(&self) -> Option<Duration> {
		match self.0.load(Ordering::Relaxed) {
			0 => None,
			since => Some(Duration::from_millis(Self::now().saturating_sub(since))),
		}
	}
}

/// Runs the task `start` makes and makes it again when it panics or one of its steps runs past
/// `step_limit`, counting each restart; returns when the task ends by itself (at shutdown).
fn supervise<F, Fut>(
	name: &'static str,
	restarts: Counter<U64>,
	shutdown: watch::Receiver<bool>,
	step_limit: Duration,
	start: F,
) -> JoinHandle<()>
where
	F: Fn(Pulse) -> Fut + Send + 'static,
	Fut: Future<Output = ()> + Send + 'static,
{
	let check_every = (step_limit / 10).max(Duration::from_millis(10));
	tokio::spawn(async move {
		loop {
			let pulse = Pulse::default();
			let mut task = tokio::spawn(start(pulse.clone()));
			let why = loop {
				tokio::select! {
					ended = &mut task => match ended {
						Err(e) if e.is_panic() => break format!("panicked: {}", panic_text(e.into_panic())),
						_ => return,
					},
					_ = tokio::time::sleep(check_every) => {
						if pulse.busy_for().is_some_and(|t| t > step_limit) {
							task.abort();
							break format!("a step ran over {} s", step_limit.as_secs());
						}
					},
				}
			};
			if *shutdown.borrow() {
				return;
			}
			restarts.inc();
			tracing::error!(task = name, "the task {why}; restarting it");
			tokio::time::sleep(Duration::from_secs(1)).await;
		}
	})
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
	payload
		.downcast_ref::<&str>()
		.map(|s| s.to_string())
		.or_else(|| payload.downcast_ref::<String>().cloned())
		.unwrap_or_else(|| "(no message)".into())
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

/// Reads the runtime's metadata and tells the tasks what still matches this worker's build.
async fn learn_runtime(
	chain: &Chain,
	spec: u32,
	compat_tx: &watch::Sender<Arc<Compat>>,
	metrics: &Metrics,
) -> Result<(), Error> {
	let compat = Compat::of_chain(&chain.metadata().await?, spec);
	metrics.spec_version.set(spec.into());
	metrics.runtime_changes_unmet.set(compat.changed.len() as u64);
	if compat.changed.is_empty() {
		tracing::info!("the runtime (spec {spec}) matches this worker's build: what it sends and reads is unchanged");
	} else {
		tracing::error!(
			"the runtime (spec {spec}) changed what this worker uses: {}; stopped: {:?}; the rest \
			 carry on; install the gpux-worker released for spec {spec}",
			compat.changed.join(", "),
			compat.stopped()
		);
	}
	compat_tx.send_replace(Arc::new(compat));
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
	let (compat_tx, compat_rx) = watch::channel(Arc::new(Compat::assumed()));
	let ctx = Context {
		machine,
		key: key.clone(),
		probe,
		solver,
		provisioner,
		metrics: metrics.clone(),
		chain: chain_rx,
		heads: heads_rx,
		compat: compat_rx,
		shutdown: shutdown.clone(),
		pulse: Pulse::default(),
	};
	let task = |name: &'static str| {
		(name, metrics.task_restarts.with_label_values(&[name]), shutdown.clone())
	};
	let tasks = [
		{
			let (name, restarts, stop) = task("heartbeat");
			let ctx = ctx.clone();
			supervise(name, restarts, stop, STEP_LIMIT, move |pulse| {
				heartbeat::run(Context { pulse, ..ctx.clone() })
			})
		},
		{
			let (name, restarts, stop) = task("challenges");
			let ctx = ctx.clone();
			let evidence_dir = state_dir.join("evidence");
			supervise(name, restarts, stop, STEP_LIMIT, move |pulse| {
				challenges::run(Context { pulse, ..ctx.clone() }, evidence_dir.clone())
			})
		},
		{
			let (name, restarts, stop) = task("leases");
			let ctx = ctx.clone();
			supervise(name, restarts, stop, STEP_LIMIT, move |pulse| {
				leases::run(Context { pulse, ..ctx.clone() }, state_dir.clone())
			})
		},
	];

	let mut first = true;
	// After a failed connection: 1 s, doubling to 30 s; back to 1 s after a good one.
	let mut retry = Duration::from_secs(1);
	let outcome = loop {
		let Some(chain) = Chain::connect_with_backoff(&url, &mut shutdown).await else {
			break Ok(());
		};
		if !first {
			metrics.reconnects.inc();
		}
		match connected(&chain, machine, &key, &compat_tx, &metrics).await {
			Ok(versions) => {
				first = false;
				let chain = Arc::new(chain);
				match follow(
					&chain,
					versions,
					&chain_tx,
					&heads_tx,
					&compat_tx,
					&metrics,
					&mut shutdown,
				)
				.await
				{
					Ok(true) => break Ok(()),
					Ok(false) => retry = Duration::from_secs(1),
					Err(e) => tracing::warn!("{e}; reconnecting"),
				}
				let _ = chain_tx.send(None);
			},
			// A machine unknown to the chain at the first connection is a setup mistake: say
			// so and stop. Later, and for anything else, the node may be catching up: retry.
			Err(e @ Error::Config(_)) if first => break Err(e),
			Err(e) => tracing::warn!("{e}; trying again in {} s", retry.as_secs()),
		}
		tokio::select! {
			_ = tokio::time::sleep(retry) => {},
			_ = shutdown.wait_for(|stop| *stop) => break Ok(()),
		}
		retry = (retry * 2).min(Duration::from_secs(30));
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

type Versions = jsonrpsee::core::client::Subscription<serde_json::Value>;

/// After connecting: learns the runtime, then checks the machine (when the runtime still lets
/// the worker read it). Returns the runtime-version subscription.
async fn connected(
	chain: &Chain,
	machine: MachineId,
	key: &MachineKey,
	compat_tx: &watch::Sender<Arc<Compat>>,
	metrics: &Metrics,
) -> Result<Versions, Error> {
	let mut versions = chain.subscribe_runtime_version().await?;
	// The subscription starts with the version now.
	let first = tokio::time::timeout(Duration::from_secs(30), versions.next()).await;
	let spec = match first {
		Ok(Some(Ok(version))) => spec_version(&version),
		_ => None,
	}
	.ok_or_else(|| Error::Node(chain.url.clone(), "no runtime version".into()))?;
	learn_runtime(chain, spec, compat_tx, metrics).await?;
	if compat_tx.borrow().allows(Duty::MachineCheck) {
		check_machine(chain, machine, key).await?;
	} else {
		tracing::warn!(machine, "the machine record changed shape: not checked at this connection");
	}
	tracing::info!(machine, node = %chain.url, key = %key.public_hex(), spec, "connected");
	Ok(versions)
}

/// Feeds the tasks new blocks and runtime versions until the connection fails or stalls
/// (`Ok(false)`: reconnect) or the worker stops (`Ok(true)`).
async fn follow(
	chain: &Arc<Chain>,
	mut versions: Versions,
	chain_tx: &watch::Sender<Option<Arc<Chain>>>,
	heads_tx: &watch::Sender<Option<Head>>,
	compat_tx: &watch::Sender<Arc<Compat>>,
	metrics: &Metrics,
	shutdown: &mut watch::Receiver<bool>,
) -> Result<bool, Error> {
	let mut heads = chain.subscribe_heads().await?;
	let _ = chain_tx.send(Some(chain.clone()));
	loop {
		tokio::select! {
			header = tokio::time::timeout(HEADS_STALL, heads.next()) => match header {
				Ok(Some(Ok(header))) => {
					if let Some(number) = header_number(&header) {
						metrics.best_block.set(number.into());
						let _ = heads_tx.send(Some(Head { number }));
					}
				},
				Ok(Some(Err(e))) => tracing::warn!("bad header from the node: {e}"),
				Ok(None) => {
					tracing::warn!("lost the connection to {}; reconnecting", chain.url);
					return Ok(false);
				},
				Err(_) => {
					metrics.heads_stalls.inc();
					tracing::warn!("no new block from {} for {} s; reconnecting", chain.url, HEADS_STALL.as_secs());
					return Ok(false);
				},
			},
			version = versions.next() => match version {
				Some(Ok(version)) => {
					let spec = spec_version(&version);
					if spec.is_some_and(|spec| spec != compat_tx.borrow().spec_version) {
						learn_runtime(chain, spec.unwrap_or_default(), compat_tx, metrics).await?;
					}
				},
				Some(Err(e)) => tracing::warn!("bad runtime version from the node: {e}"),
				None => {
					tracing::warn!("lost the connection to {}; reconnecting", chain.url);
					return Ok(false);
				},
			},
			_ = shutdown.wait_for(|stop| *stop) => return Ok(true),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::atomic::AtomicU32;

	fn counter() -> Counter<U64> {
		Counter::new("restarts", "test").unwrap()
	}

	#[tokio::test]
	async fn a_task_that_panics_is_restarted_and_counted() {
		let (stop_tx, stop) = watch::channel(false);
		let runs = Arc::new(AtomicU32::new(0));
		let restarts = counter();
		let made = runs.clone();
		let wait = stop.clone();
		let handle =
			supervise("test", restarts.clone(), stop, Duration::from_secs(60), move |_| {
				let run = made.fetch_add(1, Ordering::SeqCst);
				let mut until = wait.clone();
				async move {
					assert!(run > 0, "the first run fails");
					let _ = until.wait_for(|stop| *stop).await;
				}
			});
		tokio::time::timeout(Duration::from_secs(10), async {
			while runs.load(Ordering::SeqCst) < 2 {
				tokio::time::sleep(Duration::from_millis(20)).await;
			}
		})
		.await
		.expect("restarted");
		assert_eq!(restarts.get(), 1);
		stop_tx.send(true).unwrap();
		tokio::time::timeout(Duration::from_secs(5), handle).await.unwrap().unwrap();
		assert_eq!(runs.load(Ordering::SeqCst), 2, "a task that ends at shutdown is not restarted");
	}

	#[tokio::test]
	async fn a_task_whose_step_stalls_is_restarted() {
		let (_stop_tx, stop) = watch::channel(false);
		let runs = Arc::new(AtomicU32::new(0));
		let restarts = counter();
		let made = runs.clone();
		let _handle =
			supervise("test", restarts.clone(), stop, Duration::from_millis(100), move |pulse| {
				made.fetch_add(1, Ordering::SeqCst);
				async move {
					// A step that never ends, as a call to a hung node without a timeout would.
					pulse.busy();
					std::future::pending::<()>().await;
				}
			});
		tokio::time::timeout(Duration::from_secs(10), async {
			while restarts.get() < 1 {
				tokio::time::sleep(Duration::from_millis(20)).await;
			}
		})
		.await
		.expect("the stalled task was restarted");
		tokio::time::sleep(Duration::from_millis(1_200)).await;
		assert!(runs.load(Ordering::SeqCst) >= 2);
	}
}
