//! Leases on this machine: start a workspace when a lease begins and attest its endpoint once it
//! answers; warn the workload of a spot preemption; remove the workspace when the lease closes
//! and attest the end once it is gone. Each lease's provisioning runs on a blocking thread of
//! its own, so a slow or failing lease never holds up the others; a step that finishes wakes the
//! task at once, so a start is attested as soon as the endpoint answers rather than a block
//! later. A failed step is counted, logged and tried again at the next block. A workspace that exited or vanished mid-lease is
//! noticed, reported and started again. An end attestation waiting to land is kept in a file,
//! so a restart cannot lose it.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use gpux_primitives::{
	attestation::{Endpoint, WorkerStatement},
	challenge::Hash32,
	LeaseId,
};
use pallet_leases::LeaseStatus;
use tokio::{sync::Notify, task::JoinHandle};

use super::Context;
use crate::{
	chain::{self, keys, AttestationCall},
	client::{Chain, Head, Submitted},
	compat::Duty,
	error::Error,
	provision::{free_gpus, ActiveLease, LeaseSpec, Provisioner},
};

type Lease = pallet_leases::LeaseRecordOf<gpux_runtime::Runtime>;
type Attested = pallet_attestation::LeaseAttestationOf<gpux_runtime::Runtime>;
type Machine = pallet_marketplace::MachineRecordOf<gpux_runtime::Runtime>;

/// End attestations not yet on chain, one file each.
struct PendingEnds {
	dir: PathBuf,
}

impl PendingEnds {
	fn path(&self, lease: LeaseId) -> PathBuf {
		self.dir.join(format!("end-{lease}.digest"))
	}
	fn put(&self, lease: LeaseId, digest: Hash32) -> Result<(), Error> {
		crate::files::write_atomically(&self.path(lease), hex::encode(digest).as_bytes())
			.map_err(|e| Error::Provision(format!("{}: {e}", self.dir.display())))
	}
	fn all(&self) -> BTreeMap<LeaseId, Hash32> {
		let Ok(entries) = std::fs::read_dir(&self.dir) else { return BTreeMap::new() };
		entries
			.flatten()
			.filter_map(|e| {
				let name = e.file_name().to_string_lossy().to_string();
				let lease = name.strip_prefix("end-")?.strip_suffix(".digest")?.parse().ok()?;
				let digest = hex::decode(std::fs::read_to_string(e.path()).ok()?.trim()).ok()?;
				Some((lease, digest.try_into().ok()?))
			})
			.collect()
	}
	fn done(&self, lease: LeaseId) {
		let _ = std::fs::remove_file(self.path(lease));
	}
}

/// What a lease's provisioning step produced.
enum Outcome {
	Started(Endpoint),
	Notified,
	Stopped(Hash32),
}

/// A provisioning step in flight, and the GPUs a start claims meanwhile.
struct Job {
	gpus: Vec<u32>,
	handle: JoinHandle<Result<Outcome, Error>>,
}

/// The lease task's memory between blocks.
struct Leases {
	pending: PendingEnds,
	/// When each attestation was last sent, by (lease, end?).
	sent: BTreeMap<(LeaseId, bool), u32>,
	jobs: BTreeMap<LeaseId, Job>,
	/// Spot leases whose workload was warned.
	notified: Vec<LeaseId>,
	/// Leases whose workspace this worker delivered, for the count of leases started.
	delivered: Vec<LeaseId>,
	/// Woken by each job that finishes.
	finished: Arc<Notify>,
	/// Leases whose step failed, with the block it failed at: retried at a later block, so a
	/// step that fails fast does not spin.
	failed: BTreeMap<LeaseId, u32>,
}

pub async fn run(mut ctx: Context, state_dir: PathBuf) {
	let mut leases = Leases {
		pending: PendingEnds { dir: state_dir },
		sent: BTreeMap::new(),
		jobs: BTreeMap::new(),
		notified: Vec::new(),
		delivered: Vec::new(),
		finished: Arc::new(Notify::new()),
		failed: BTreeMap::new(),
	};
	let mut latest: Option<(Arc<Chain>, Head)> = None;
	loop {
		let finished = leases.finished.clone();
		tokio::select! {
			next = ctx.next_block() => match next {
				Some(block) => latest = Some(block),
				None => break,
			},
			// A job done between blocks: its outcome is acted on now, at the latest head, if
			// the connection it came on is still up.
			_ = finished.notified(), if latest.is_some() => {
				let current = ctx.chain.borrow().clone();
				let same = current
					.zip(latest.as_ref())
					.is_some_and(|(now, (then, _))| Arc::ptr_eq(&now, then));
				if !same {
					latest = None;
				}
			},
		}
		let Some((chain, head)) = latest.clone() else { continue };
		// Leases already running keep running; nothing new is started, stopped or attested.
		if !ctx.allows(Duty::Leases) {
			continue;
		}
		ctx.pulse.busy();
		if let Err(e) = leases.step(&ctx, &chain, head).await {
			tracing::warn!(target: "lease", "{e}");
		}
	}
}

impl Leases {
	/// Runs `work` on a blocking thread (provisioners run external commands) and wakes the task
	/// when it is done.
	fn spawn<F>(&self, ctx: &Context, work: F) -> JoinHandle<Result<Outcome, Error>>
	where
		F: FnOnce(&dyn Provisioner) -> Result<Outcome, Error> + Send + 'static,
	{
		let provisioner = ctx.provisioner.clone();
		let finished = self.finished.clone();
		tokio::task::spawn_blocking(move || {
			let outcome = work(provisioner.as_ref());
			// `notify_one` keeps a permit when the task is busy, so no completion is missed.
			finished.notify_one();
			outcome
		})
	}
}

impl Leases {
	/// Sends an attestation unless one was sent in the last few blocks.
	async fn attest(
		&mut self,
		chain: &Chain,
		head: Head,
		(lease, end): (LeaseId, bool),
		call: AttestationCall,
	) -> Result<(), Error> {
		if self.sent.get(&(lease, end)).is_some_and(|at| head.number < at.saturating_add(3)) {
			return Ok(());
		}
		match chain.submit(&chain::bare(call)).await? {
			Submitted::Accepted => tracing::info!(target: "lease", lease, end, "attestation sent"),
			other => tracing::warn!(target: "lease", lease, end, "attestation refused: {other:?}"),
		}
		self.sent.insert((lease, end), head.number);
		Ok(())
	}

	async fn attest_start(
		&mut self,
		ctx: &Context,
		chain: &Chain,
		head: Head,
		lease: LeaseId,
		endpoint: Endpoint,
	) -> Result<(), Error> {
		let attested: Option<Attested> = chain.storage(&keys::lease_attestation(lease)).await?;
		if attested.is_some_and(|a| a.started.is_some()) {
			return Ok(());
		}
		let statement = WorkerStatement::LeaseStarted { lease, endpoint: endpoint.clone() };
		let signature = ctx.key.sign(&statement, &chain.genesis);
		let call = AttestationCall::attest_lease_start { lease, endpoint, signature };
		self.attest(chain, head, (lease, false), call).await
	}

	/// Takes the steps that finished: attests starts, keeps end digests, counts failures.
	async fn collect(&mut self, ctx: &Context, chain: &Chain, head: Head) -> Result<(), Error> {
		let done: Vec<LeaseId> =
			self.jobs.iter().filter(|(_, job)| job.handle.is_finished()).map(|(l, _)| *l).collect();
		for lease in done {
			let Some(job) = self.jobs.remove(&lease) else { continue };
			let result = job.handle.await.unwrap_or_else(|e| {
				Err(Error::Provision(format!("lease {lease}: its provisioning panicked: {e}")))
			});
			match result {
				Ok(Outcome::Started(endpoint)) => {
					if !self.delivered.contains(&lease) {
						self.delivered.push(lease);
						ctx.metrics.leases_started.inc();
					}
					self.attest_start(ctx, chain, head, lease, endpoint).await?;
				},
				Ok(Outcome::Notified) => self.notified.push(lease),
				Ok(Outcome::Stopped(digest)) => {
					self.pending.put(lease, digest)?;
					self.notified.retain(|l| *l != lease);
					self.delivered.retain(|l| *l != lease);
					ctx.metrics.leases_ended.inc();
					tracing::info!(target: "lease", lease, "workspace removed");
				},
				Err(e) => {
					self.failed.insert(lease, head.number);
					ctx.metrics.provisioning_errors.inc();
					tracing::warn!(target: "lease", lease, "{e}; trying again at the next block");
				},
			}
		}
		Ok(())
	}

	async fn step(&mut self, ctx: &Context, chain: &Chain, head: Head) -> Result<(), Error> {
		self.collect(ctx, chain, head).await?;
		self.failed.retain(|_, at| *at >= head.number);
		let open: Vec<LeaseId> =
			chain.storage(&keys::machine_leases(ctx.machine)).await?.unwrap_or_default();
		let provisioner = ctx.provisioner.clone();
		let active = tokio::task::spawn_blocking(move || provisioner.active())
			.await
			.map_err(|e| Error::Provision(format!("listing workspaces panicked: {e}")))??;
		ctx.metrics.leases_active.set(active.len() as u64);
		// What starts and stops claim, with what runs, so two new leases never share a GPU.
		let mut busy: Vec<ActiveLease> = active.clone();
		busy.extend(self.jobs.iter().map(|(lease, job)| ActiveLease {
			lease: *lease,
			gpus: job.gpus.clone(),
			running: false,
		}));
		let offers_jupyter = {
			let machine: Option<Machine> = chain.storage(&keys::machine(ctx.machine)).await?;
			machine.and_then(|m| m.listing).is_some_and(|l| l.access.jupyter)
		};
		// The GPUs are read only when a lease needs some, not on every block.
		// The GPUs a new lease may get: those not lost.
		let mut usable: Option<Vec<u32>> = None;
		for id in &open {
			if self.jobs.contains_key(id) || self.failed.contains_key(id) {
				continue;
			}
			let Some(lease) = chain.storage::<Lease>(&keys::lease(*id)).await? else { continue };
			if head.number < lease.starts_at {
				continue;
			}
			if let LeaseStatus::Preempting { until } = lease.status {
				if !self.notified.contains(id) {
					let lease_id = *id;
					let handle = self.spawn(ctx, move |p| {
						p.notify_preemption(lease_id, until).map(|()| Outcome::Notified)
					});
					self.jobs.insert(*id, Job { gpus: Vec::new(), handle });
					continue;
				}
			}
			let attested: Option<Attested> = chain.storage(&keys::lease_attestation(*id)).await?;
			let started = attested.is_some_and(|a| a.started.is_some());
			// A workspace without GPUs is a start that failed half-way: made again below.
			let gpus = match active.iter().find(|a| a.lease == *id && !a.gpus.is_empty()) {
				Some(a) if a.running && started => continue,
				Some(a) => {
					if !a.running && started {
						ctx.metrics.lease_restarts.inc();
						tracing::warn!(target: "lease", lease = id, "the workspace stopped mid-lease; starting it again");
					}
					a.gpus.clone()
				},
				None => {
					if started {
						ctx.metrics.lease_restarts.inc();
						tracing::warn!(target: "lease", lease = id, "the workspace vanished mid-lease; making it again");
					}
					if usable.is_none() {
						let report = ctx.read_gpus().await?;
						let present = report.gpus.iter().filter(|g| !g.lost).map(|g| g.index);
						usable = Some(present.collect());
					}
					let present = usable.as_deref().unwrap_or_default();
					let Some(gpus) = free_gpus(present, &busy, lease.gpus) else {
						tracing::error!(target: "lease", lease = id, "no free GPUs for the lease");
						continue;
					};
					gpus
				},
			};
			busy.push(ActiveLease { lease: *id, gpus: gpus.clone(), running: false });
			let spec = LeaseSpec {
				lease: *id,
				gpus: gpus.clone(),
				ssh_public_key: lease.access.ssh_public_key.to_vec(),
				jupyter_seal_key: lease.access.seal_key.filter(|_| offers_jupyter),
			};
			let handle = self.spawn(ctx, move |p| p.start(&spec).map(Outcome::Started));
			self.jobs.insert(*id, Job { gpus, handle });
		}
		// Leases that closed: remove their workspace; the digest waits for the end on chain.
		for gone in active.iter().filter(|a| !open.contains(&a.lease)) {
			if self.jobs.contains_key(&gone.lease) || self.failed.contains_key(&gone.lease) {
				continue;
			}
			let lease = gone.lease;
			let handle = self.spawn(ctx, move |p| p.stop(lease).map(Outcome::Stopped));
			self.jobs.insert(lease, Job { gpus: gone.gpus.clone(), handle });
		}
		for (id, digest) in self.pending.all() {
			let attested: Option<Attested> = chain.storage(&keys::lease_attestation(id)).await?;
			match attested {
				Some(a) if a.started.is_some() && a.ended.is_none() => {
					let statement = WorkerStatement::LeaseEnded { lease: id, digest };
					let signature = ctx.key.sign(&statement, &chain.genesis);
					let call = AttestationCall::attest_lease_end { lease: id, digest, signature };
					self.attest(chain, head, (id, true), call).await?;
				},
				// Ended on chain, or never started there: nothing more to say.
				_ => self.pending.done(id),
			}
		}
		Ok(())
	}
}
