//! Leases as workspaces on this host: a directory per lease with the renter's SSH key installed
//! and the lease's GPUs pinned through `CUDA_VISIBLE_DEVICES`. Tests run it; so can a host that
//! serves one renter at a time through its own sshd.

use std::{
	os::unix::fs::PermissionsExt,
	path::{Path, PathBuf},
};

use gpux_primitives::{
	attestation::{AccessMethod, Endpoint},
	challenge::Hash32,
	LeaseId,
};

use super::{ActiveLease, LeaseSpec, Provisioner};
use crate::error::Error;

/// Workspaces under `root`, reached at `host:port` over SSH.
pub struct LocalProvisioner {
	root: PathBuf,
	host: String,
	port: u16,
}

/// The file a workload watches for a preemption notice.
pub const PREEMPTION_FILE: &str = "PREEMPTION_NOTICE";
/// The lease's environment: `CUDA_VISIBLE_DEVICES` and the lease id.
pub const ENV_FILE: &str = "lease.env";
/// Where a workload may log what it ran; it goes into the end digest.
pub const RUN_LOG: &str = "run.log";

impl LocalProvisioner {
	pub fn new(root: PathBuf, host: String, port: u16) -> Self {
		Self { root, host, port }
	}

	/// The workspace of `lease`.
	pub fn workspace(&self, lease: LeaseId) -> PathBuf {
		self.root.join(format!("lease-{lease}"))
	}

	fn io(path: &Path, e: std::io::Error) -> Error {
		Error::Provision(format!("{}: {e}", path.display()))
	}
}

impl Provisioner for LocalProvisioner {
	fn start(&self, spec: &LeaseSpec) -> Result<Endpoint, Error> {
		let ws = self.workspace(spec.lease);
		let ssh = ws.join("home").join(".ssh");
		std::fs::create_dir_all(&ssh).map_err(|e| Self::io(&ssh, e))?;
		std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o700))
			.map_err(|e| Self::io(&ssh, e))?;
		let keys = ssh.join("authorized_keys");
		let mut key = spec.ssh_public_key.clone();
		key.push(b'\n');
		std::fs::write(&keys, key).map_err(|e| Self::io(&keys, e))?;
		std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600))
			.map_err(|e| Self::io(&keys, e))?;
		let devices = spec.gpus.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
		let env = ws.join(ENV_FILE);
		std::fs::write(
			&env,
			format!("CUDA_VISIBLE_DEVICES={devices}\nGPUX_LEASE={}\n", spec.lease),
		)
		.map_err(|e| Self::io(&env, e))?;
		Ok(Endpoint {
			host: self.host.as_bytes().to_vec().try_into().unwrap_or_default(),
			port: self.port,
			method: AccessMethod::Ssh,
			// The host's own sshd: its key is the operator's to publish.
			host_key_fingerprint: None,
			jupyter: None,
		})
	}

	fn notify_preemption(&self, lease: LeaseId, until: u32) -> Result<(), Error> {
		let notice = self.workspace(lease).join(PREEMPTION_FILE);
		if notice.exists() {
			return Ok(());
		}
		std::fs::write(&notice, format!("{until}\n")).map_err(|e| Self::io(&notice, e))
	}

	fn stop(&self, lease: LeaseId) -> Result<Hash32, Error> {
		let ws = self.workspace(lease);
		let log = std::fs::read(ws.join(RUN_LOG)).unwrap_or_default();
		let digest = super::digest(lease, &log);
		match std::fs::remove_dir_all(&ws) {
			Ok(()) => Ok(digest),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(digest),
			Err(e) => Err(Self::io(&ws, e)),
		}
	}

	fn active(&self) -> Result<Vec<ActiveLease>, Error> {
		let entries = match std::fs::read_dir(&self.root) {
			Ok(entries) => entries,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
			Err(e) => return Err(Self::io(&self.root, e)),
		};
		let mut active = Vec::new();
		for entry in entries.flatten() {
			let name = entry.file_name().to_string_lossy().to_string();
			let Some(lease) = name.strip_prefix("lease-").and_then(|id| id.parse().ok()) else {
				continue;
			};
			let env = std::fs::read_to_string(entry.path().join(ENV_FILE)).unwrap_or_default();
			let gpus = env
				.lines()
				.find_map(|l| l.strip_prefix("CUDA_VISIBLE_DEVICES="))
				.map(|list| list.split(',').filter_map(|g| g.parse().ok()).collect())
				.unwrap_or_default();
			active.push(ActiveLease { lease, gpus, running: true });
		}
		active.sort_by_key(|a| a.lease);
		Ok(active)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_lease_workspace_has_the_key_and_gpus_and_is_removed_at_the_end() {
		let root = std::env::temp_dir().join(format!("gpux-local-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&root);
		let p = LocalProvisioner::new(root.clone(), "gpu-1.example.net".into(), 2222);
		let spec = LeaseSpec {
			lease: 7,
			gpus: vec![1, 3],
			ssh_public_key: b"ssh-ed25519 AAAA r".to_vec(),
			jupyter_seal_key: None,
		};
		let endpoint = p.start(&spec).unwrap();
		assert_eq!((endpoint.port, endpoint.method), (2222, AccessMethod::Ssh));
		// Idempotent: a restarted worker starts it again without harm.
		assert_eq!(p.start(&spec).unwrap(), endpoint);
		let keys = p.workspace(7).join("home/.ssh/authorized_keys");
		assert_eq!(std::fs::read(&keys).unwrap(), b"ssh-ed25519 AAAA r\n");
		assert_eq!(std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o600);
		let env = std::fs::read_to_string(p.workspace(7).join(ENV_FILE)).unwrap();
		assert!(env.contains("CUDA_VISIBLE_DEVICES=1,3"));
		assert_eq!(
			p.active().unwrap(),
			vec![ActiveLease { lease: 7, gpus: vec![1, 3], running: true }]
		);
		p.notify_preemption(7, 120).unwrap();
		assert!(p.workspace(7).join(PREEMPTION_FILE).exists());
		std::fs::write(p.workspace(7).join(RUN_LOG), "trained 3 epochs").unwrap();
		let digest = p.stop(7).unwrap();
		assert!(!p.workspace(7).exists());
		assert!(p.active().unwrap().is_empty());
		assert_ne!(digest, p.stop(7).unwrap(), "the digest covers the run log");
	}
}
