//! The worker's settings: an optional TOML file, overridden by flags and environment, checked
//! once at start so a mistake stops the worker with a message instead of a misbehaving daemon.

use std::{net::SocketAddr, path::PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// What may be in `--config FILE`. Unknown keys are an error: a misspelt key must not be
/// silently ignored.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
	/// WebSocket endpoint of the local node.
	pub node: Option<String>,
	/// The machine key's file.
	pub keystore: Option<PathBuf>,
	/// This machine's id on chain (printed by `register`).
	pub machine: Option<u64>,
	/// Where Prometheus metrics are served, e.g. `127.0.0.1:9616`.
	pub metrics: Option<SocketAddr>,
	/// Where lease workspaces are created.
	pub workspaces: Option<PathBuf>,
	/// `local` (default) or `docker`.
	pub provisioner: Option<String>,
}

impl FileConfig {
	/// Reads and parses `path`.
	pub fn load(path: &std::path::Path) -> Result<Self, Error> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
		Self::parse(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
	}

	/// Parses a config file's text.
	pub fn parse(text: &str) -> Result<Self, String> {
		toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
	}
}

/// Where leases are provisioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionerKind {
	/// Workspaces and processes on this host (tests and single-tenant hosts).
	Local,
	/// One container per lease, `--gpus device=…`.
	Docker,
}

impl std::str::FromStr for ProvisionerKind {
	type Err = Error;
	fn from_str(s: &str) -> Result<Self, Error> {
		match s {
			"local" => Ok(Self::Local),
			"docker" => Ok(Self::Docker),
			other => {
				Err(Error::Config(format!("provisioner `{other}` is not one of `local`, `docker`")))
			},
		}
	}
}

/// The default keystore: `$HOME/.gpux-worker/machine.key`.
pub fn default_keystore() -> PathBuf {
	let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| ".".into());
	home.join(".gpux-worker").join("machine.key")
}

/// Checks a node URL: the worker talks WebSocket.
pub fn check_node_url(url: &str) -> Result<(), Error> {
	if url.starts_with("ws://") || url.starts_with("wss://") {
		Ok(())
	} else {
		Err(Error::Config(format!("node URL `{url}` must start with ws:// or wss://")))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_full_file_parses() {
		let config = FileConfig::parse(
			"node = \"ws://10.0.0.1:9944\"\nmachine = 4\nmetrics = \"127.0.0.1:9616\"\nprovisioner = \"local\"\n",
		)
		.unwrap();
		assert_eq!(config.machine, Some(4));
		assert_eq!(config.node.as_deref(), Some("ws://10.0.0.1:9944"));
		assert_eq!(config.metrics, Some("127.0.0.1:9616".parse().unwrap()));
	}

	#[test]
	fn malformed_files_are_refused_with_the_place_and_reason() {
		let unknown = FileConfig::parse("machien = 4").unwrap_err();
		assert!(unknown.contains("unknown field `machien`"), "{unknown}");
		let wrong_type = FileConfig::parse("machine = \"four\"").unwrap_err();
		assert!(wrong_type.contains("line 1"), "{wrong_type}");
		let bad_addr = FileConfig::parse("metrics = \"nowhere\"").unwrap_err();
		assert!(bad_addr.contains("metrics") || bad_addr.contains("line 1"), "{bad_addr}");
		assert!("podman".parse::<ProvisionerKind>().is_err());
		assert!(check_node_url("http://127.0.0.1:9944").is_err());
		assert!(check_node_url("ws://127.0.0.1:9944").is_ok());
	}
}
