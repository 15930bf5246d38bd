//! Where leases run. The lease task asks a `Provisioner` to start a lease's workspace (idempotent:
//! starting one that exists returns its endpoint), to warn it of a spot preemption, and to remove
//! it when the lease ends; workspaces outlive a worker restart, so none is lost or leaked.

mod docker;
mod local;

pub use docker::DockerProvisioner;
pub use local::LocalProvisioner;

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
}

/// Starts, warns and removes lease workspaces.
pub trait Provisioner: Send + Sync {
	/// Makes the lease's workspace ready (or finds it ready) and says where it is reached.
	fn start(&self, spec: &LeaseSpec) -> Result<Endpoint, Error>;
	/// Tells the workload its spot lease ends at block `until`: checkpoint now.
	fn notify_preemption(&self, lease: LeaseId, until: u32) -> Result<(), Error>;
	/// Removes the workspace; returns a digest of what ran. Removing a missing one is no error.
	fn stop(&self, lease: LeaseId) -> Result<Hash32, Error>;
	/// Leases with a workspace here, and the GPUs each holds.
	fn active(&self) -> Result<Vec<(LeaseId, Vec<u32>)>, Error>;
}

/// The end digest of a lease: blake2-256 of its id (little-endian) and what its workload
/// logged, so the same log on another lease digests differently.
pub fn digest(lease: LeaseId, log: &[u8]) -> Hash32 {
	let mut input = lease.to_le_bytes().to_vec();
	input.extend_from_slice(log);
	sp_crypto_hashing::blake2_256(&input)
}

/// `count` GPUs out of `total` not held by `busy` leases, lowest indices first.
pub fn free_gpus(total: u32, busy: &[(LeaseId, Vec<u32>)], count: u32) -> Option<Vec<u32>> {
	let taken: Vec<u32> = busy.iter().flat_map(|(_, gpus)| gpus.iter().copied()).collect();
	let free: Vec<u32> = (0..total).filter(|g| !taken.contains(g)).take(count as usize).collect();
	(free.len() == count as usize).then_some(free)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn leases_get_distinct_gpus() {
		assert_eq!(free_gpus(4, &[], 2), Some(vec![0, 1]));
		assert_eq!(free_gpus(4, &[(1, vec![0, 2])], 2), Some(vec![1, 3]));
		assert_eq!(free_gpus(2, &[(1, vec![0])], 2), None);
	}
}
