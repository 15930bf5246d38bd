//! Where leases run. The lease task asks a `Provisioner` to start a lease's workspace (idempotent:
//! starting one that exists returns its endpoint), to warn it of a spot preemption, and to remove
//! it when the lease ends; workspaces outlive a worker restart, so none is lost or leaked.
//! Calls block (they run external commands with deadlines): the lease task makes them from
//! blocking threads, one lease at a time each.

mod command;
mod docker;
mod local;
mod ports;
mod seal;

pub use docker::{DockerConfig, DockerProvisioner, HostShare};
pub use local::LocalProvisioner;
pub use ports::parse_range;

use gpux_primitives::{attestation::Endpoint, challenge::Hash32, LeaseId};

use crate::error::Error;

/// What a provisioner needs to know of a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseSpec {
	pub lease: LeaseId,
	/// The GPUs (NVML indices) the lease may use.
	pub gpus: Vec<u32>,
	/// The renter's SSH public key, as given to `leases.rent`.
	pub ssh_public_key: Vec<u8>,
	/// Jupyter too, its token sealed to this key: the listing offers Jupyter and the renter
	/// gave a seal key.
	pub jupyter_seal_key: Option<[u8; 32]>,
}

/// A lease with a workspace here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveLease {
	pub lease: LeaseId,
	/// The GPUs it holds.
	pub gpus: Vec<u32>,
	/// Whether its workload runs (a container that exited does not).
	pub running: bool,
}

/// Starts, warns and removes lease workspaces.
pub trait Provisioner: Send + Sync {
	/// Checks at startup that leases can be provisioned at all (the engine answers, the image
	/// exists, the port range is wide enough), so a mistake is named before any lease needs it.
	fn check(&self) -> Result<(), Error> {
		Ok(())
	}
	/// Makes the lease's workspace ready (or finds it ready) and says where it is reached.
	fn start(&self, spec: &LeaseSpec) -> Result<Endpoint, Error>;
	/// Tells the workload its spot lease ends at block `until`: checkpoint now.
	fn notify_preemption(&self, lease: LeaseId, until: u32) -> Result<(), Error>;
	/// Removes the workspace; returns a digest of what ran. Removing a missing one is no error.
	fn stop(&self, lease: LeaseId) -> Result<Hash32, Error>;
	/// Leases with a workspace here.
	fn active(&self) -> Result<Vec<ActiveLease>, Error>;
}

/// The end digest of a lease: blake2-256 of its id (little-endian) and what its workload
/// logged, so the same log on another lease digests differently.
pub fn digest(lease: LeaseId, log: &[u8]) -> Hash32 {
	let mut input = lease.to_le_bytes().to_vec();
	input.extend_from_slice(log);
	sp_crypto_hashing::blake2_256(&input)
}

/// `count` of the `usable` GPUs (by index; a lost GPU is not usable) not held by `busy`
/// leases, lowest indices first.
pub fn free_gpus(usable: &[u32], busy: &[ActiveLease], count: u32) -> Option<Vec<u32>> {
	let taken: Vec<u32> = busy.iter().flat_map(|a| a.gpus.iter().copied()).collect();
	let free: Vec<u32> =
		usable.iter().copied().filter(|g| !taken.contains(g)).take(count as usize).collect();
	(free.len() == count as usize).then_some(free)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn leases_get_distinct_gpus() {
		let holding = |gpus: Vec<u32>| [ActiveLease { lease: 1, gpus, running: true }];
		assert_eq!(free_gpus(&[0, 1, 2, 3], &[], 2), Some(vec![0, 1]));
		assert_eq!(free_gpus(&[0, 1, 2, 3], &holding(vec![0, 2]), 2), Some(vec![1, 3]));
		assert_eq!(free_gpus(&[0, 1], &holding(vec![0]), 2), None);
		// GPU 1 is lost: a lease never gets it.
		assert_eq!(free_gpus(&[0, 2, 3], &holding(vec![0]), 2), Some(vec![2, 3]));
	}
}
