//! Leases on this machine: start a workspace when a lease begins and attest its endpoint; warn
//! the workload of a spot preemption; remove the workspace when the lease closes and attest
//! the end. An end attestation waiting to land is kept in a file, so a restart cannot lose it.

use std::{collections::BTreeMap, path::PathBuf};

use gpux_primitives::{attestation::WorkerStatement, challenge::Hash32, LeaseId};
use pallet_leases::LeaseStatus;

use super::Context;
use crate::{
	chain::{self, keys, AttestationCall},
	client::{Chain, Head, Submitted},
	error::Error,
	provision::{free_gpus, LeaseSpec},
};

type Lease = pallet_leases::LeaseRecordOf<gpux_runtime::Runtime>;
type Attested = pallet_attestation::LeaseAttestationOf<gpux_runtime::Runtime>;

/// End attestations not yet on chain, one file each.
struct PendingEnds {
	dir: PathBuf,
}

impl PendingEnds {
	fn path(&self, lease: LeaseId) -> PathBuf {
		self.dir.join(format!("end-{lease}.digest"))
	}
	fn put(&self, lease: LeaseId, digest: Hash32) -> Result<(), Error> {
		std::fs::create_dir_all(&self.dir)
			.and_then(|()| std::fs::write(self.path(lease), hex::encode(digest)))
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

pub async fn run(mut ctx: Context, state_dir: PathBuf) {
	let pending = PendingEnds { dir: state_dir };
	let mut sent: BTreeMap<(LeaseId, bool), u32> = BTreeMap::new();
	while let Some((chain, head)) = ctx.next_block().await {
		if let Err(e) = step(&ctx, &chain, head, &pending, &mut sent).await {
			tracing::warn!(target: "lease", "{e}");
		}
	}
}

/// Sends an attestation unless one was sent in the last few blocks.
async fn attest(
	chain: &Chain,
	head: Head,
	sent: &mut BTreeMap<(LeaseId, bool), u32>,
	(lease, end): (LeaseId, bool),
	call: AttestationCall,
) -> Result<(), Error> {
	if sent.get(&(lease, end)).is_some_and(|at| head.number < at.saturating_add(3)) {
		return Ok(());
	}
	match chain.submit(&chain::bare(call)).await? {
		Submitted::Accepted => tracing::info!(target: "lease", lease, end, "attestation sent"),
		other => tracing::warn!(target: "lease", lease, end, "attestation refused: {other:?}"),
	}
	sent.insert((lease, end), head.number);
	Ok(())
}

async fn step(
	ctx: &Context,
	chain: &Chain,
	head: Head,
	pending: &PendingEnds,
	sent: &mut BTreeMap<(LeaseId, bool), u32>,
) -> Result<(), Error> {
	let open: Vec<LeaseId> =
		chain.storage(&keys::machine_leases(ctx.machine)).await?.unwrap_or_default();
	let mut active = ctx.provisioner.active()?;
	// The GPUs are read only when a lease needs some, not on every block.
	let mut total: Option<u32> = None;
	for id in &open {
		let Some(lease) = chain.storage::<Lease>(&keys::lease(*id)).await? else { continue };
		if head.number < lease.starts_at {
			continue;
		}
		if let LeaseStatus::Preempting { until } = lease.status {
			ctx.provisioner.notify_preemption(*id, until)?;
		}
		let (gpus, new) = match active.iter().find(|(l, _)| l == id) {
			Some((_, gpus)) => (gpus.clone(), false),
			None => {
				let total = match total {
					Some(total) => total,
					None => *total.insert(ctx.probe.read()?.gpus.len() as u32),
				};
				let Some(gpus) = free_gpus(total, &active, lease.gpus) else {
					tracing::error!(target: "lease", lease = id, "no free GPUs for the lease");
					continue;
				};
				active.push((*id, gpus.clone()));
				(gpus, true)
			},
		};
		let attested: Option<Attested> = chain.storage(&keys::lease_attestation(*id)).await?;
		let unattested = attested.is_none_or(|a| a.started.is_none());
		if !new && !unattested {
			continue;
		}
		// Creates the workspace, or finds it and says where it is reached.
		let spec =
			LeaseSpec { lease: *id, gpus, ssh_public_key: lease.access.ssh_public_key.to_vec() };
		let endpoint = ctx.provisioner.start(&spec)?;
		if new {
			ctx.metrics.leases_started.inc();
		}
		if unattested {
			let statement =
				WorkerStatement::LeaseStarted { lease: *id, endpoint: endpoint.clone() };
			let signature = ctx.key.sign(&statement, &chain.genesis);
			let call = AttestationCall::attest_lease_start { lease: *id, endpoint, signature };
			attest(chain, head, sent, (*id, false), call).await?;
		}
	}
	// Leases that closed: remove their workspace, keep the digest until the end is on chain.
	for (id, _) in active.iter().filter(|(id, _)| !open.contains(id)) {
		let digest = ctx.provisioner.stop(*id)?;
		pending.put(*id, digest)?;
		ctx.metrics.leases_ended.inc();
		tracing::info!(target: "lease", lease = id, "workspace removed");
	}
	for (id, digest) in pending.all() {
		let attested: Option<Attested> = chain.storage(&keys::lease_attestation(id)).await?;
		match attested {
			Some(a) if a.started.is_some() && a.ended.is_none() => {
				let statement = WorkerStatement::LeaseEnded { lease: id, digest };
				let signature = ctx.key.sign(&statement, &chain.genesis);
				let call = AttestationCall::attest_lease_end { lease: id, digest, signature };
				attest(chain, head, sent, (id, true), call).await?;
			},
			// Ended on chain, or never started there: nothing more to say.
			_ => pending.done(id),
		}
	}
	Ok(())
}
