//! Leases as Docker containers on a real host: `docker run --gpus device=…` per lease with the
//! renter's key mounted for the image's sshd, a `SIGUSR1` to the container on a preemption
//! notice, `docker rm -f` at the end. CI has no Docker, so this backend is documented
//! (worker/README.md) and its commands are unit-tested, not run.

use std::process::Command;

use gpux_primitives::{
	attestation::{AccessMethod, Endpoint},
	challenge::Hash32,
	LeaseId,
};

use super::{LeaseSpec, Provisioner};
use crate::error::Error;

/// Containers from `image`, SSH published on `base_port + lease % 1000`.
pub struct DockerProvisioner {
	pub image: String,
	pub host: String,
	pub base_port: u16,
	pub keys_dir: std::path::PathBuf,
}

impl DockerProvisioner {
	fn name(lease: LeaseId) -> String {
		format!("gpux-lease-{lease}")
	}

	fn port(&self, lease: LeaseId) -> u16 {
		self.base_port.saturating_add((lease % 1000) as u16)
	}

	/// The `docker run` arguments for a lease.
	pub fn run_args(&self, spec: &LeaseSpec, key_file: &str) -> Vec<String> {
		let devices = spec.gpus.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
		vec![
			"run".into(),
			"-d".into(),
			"--name".into(),
			Self::name(spec.lease),
			"--gpus".into(),
			format!("\"device={devices}\""),
			"-p".into(),
			format!("{}:22", self.port(spec.lease)),
			"-v".into(),
			format!("{key_file}:/root/.ssh/authorized_keys:ro"),
			"--label".into(),
			format!("gpux.lease={}", spec.lease),
			"--label".into(),
			format!("gpux.gpus={devices}"),
			self.image.clone(),
		]
	}

	fn docker(args: &[String]) -> Result<String, Error> {
		let out = Command::new("docker")
			.args(args)
			.output()
			.map_err(|e| Error::Provision(format!("docker: {e}")))?;
		if out.status.success() {
			Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
		} else {
			Err(Error::Provision(format!(
				"docker {}: {}",
				args.first().map(String::as_str).unwrap_or_default(),
				String::from_utf8_lossy(&out.stderr).trim()
			)))
		}
	}
}

impl Provisioner for DockerProvisioner {
	fn start(&self, spec: &LeaseSpec) -> Result<Endpoint, Error> {
		let endpoint = Endpoint {
			host: self.host.as_bytes().to_vec().try_into().unwrap_or_default(),
			port: self.port(spec.lease),
			method: AccessMethod::Ssh,
		};
		if Self::docker(&["inspect".into(), Self::name(spec.lease)]).is_ok() {
			return Ok(endpoint);
		}
		std::fs::create_dir_all(&self.keys_dir)
			.map_err(|e| Error::Provision(format!("{}: {e}", self.keys_dir.display())))?;
		let key_file = self.keys_dir.join(format!("lease-{}.pub", spec.lease));
		std::fs::write(&key_file, &spec.ssh_public_key)
			.map_err(|e| Error::Provision(format!("{}: {e}", key_file.display())))?;
		Self::docker(&self.run_args(spec, &key_file.to_string_lossy()))?;
		Ok(endpoint)
	}

	fn notify_preemption(&self, lease: LeaseId, _until: u32) -> Result<(), Error> {
		Self::docker(&["kill".into(), "--signal".into(), "SIGUSR1".into(), Self::name(lease)])
			.map(|_| ())
	}

	fn stop(&self, lease: LeaseId) -> Result<Hash32, Error> {
		let logs = Self::docker(&["logs".into(), Self::name(lease)]).unwrap_or_default();
		let _ = Self::docker(&["rm".into(), "-f".into(), Self::name(lease)]);
		let _ = std::fs::remove_file(self.keys_dir.join(format!("lease-{lease}.pub")));
		Ok(super::digest(lease, logs.as_bytes()))
	}

	fn active(&self) -> Result<Vec<(LeaseId, Vec<u32>)>, Error> {
		let out = Self::docker(&[
			"ps".into(),
			"--filter".into(),
			"label=gpux.lease".into(),
			"--format".into(),
			"{{.Label \"gpux.lease\"}} {{.Label \"gpux.gpus\"}}".into(),
		])?;
		Ok(out
			.lines()
			.filter_map(|line| {
				let (lease, gpus) = line.split_once(' ')?;
				Some((
					lease.parse().ok()?,
					gpus.split(',').filter_map(|g| g.parse().ok()).collect(),
				))
			})
			.collect())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_lease_container_gets_only_its_gpus_and_the_renters_key() {
		let p = DockerProvisioner {
			image: "gpux/cuda-ssh:12".into(),
			host: "h".into(),
			base_port: 22_000,
			keys_dir: "/var/lib/gpux/keys".into(),
		};
		let spec = LeaseSpec { lease: 1_042, gpus: vec![0, 2], ssh_public_key: vec![] };
		let args = p.run_args(&spec, "/var/lib/gpux/keys/lease-1042.pub").join(" ");
		assert!(args.contains("--gpus \"device=0,2\""), "{args}");
		assert!(args.contains("-p 22042:22"), "{args}");
		assert!(args.contains("/var/lib/gpux/keys/lease-1042.pub:/root/.ssh/authorized_keys:ro"));
		assert!(args.ends_with("gpux/cuda-ssh:12"));
	}
}
