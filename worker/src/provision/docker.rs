//! Leases as Docker containers, the production backend: one container per lease from the
//! lease image (`scripts/build-lease-image.sh`), on its own network, with its share of the
//! host's memory, CPUs and processes, no new privileges and a minimal set of capabilities, its
//! SSH (and Jupyter) ports from the operator's range, and its GPUs passed with
//! `--gpus device=…` (the NVIDIA Container Toolkit) or, for simulated GPUs, named in
//! `CUDA_VISIBLE_DEVICES`. Every `docker` command has a deadline. docs/access.md has the
//! renter's side.

use std::{
	io::{Read, Write},
	net::{IpAddr, SocketAddr, TcpStream},
	ops::RangeInclusive,
	path::PathBuf,
	sync::Mutex,
	time::{Duration, Instant},
};

use gpux_primitives::{
	attestation::{AccessMethod, Endpoint, JupyterEndpoint},
	challenge::Hash32,
	LeaseId,
};

use super::{command, ports::PortBook, seal, ActiveLease, LeaseSpec, Provisioner};
use crate::error::Error;

const LABEL_LEASE: &str = "gpux.lease";
const LABEL_GPUS: &str = "gpux.gpus";
/// Where the image's sshd finds the lease's host key. The worker makes the key on the host and
/// mounts it read-only: the renter cannot change what the worker fingerprints, and a container
/// made again after it vanished keeps the key the renter pinned.
const HOST_KEY_DIR: &str = "/etc/gpux/hostkeys";
const HOST_KEY: &str = "ssh_host_ed25519_key";
/// Capabilities sshd needs to log a renter in and run its session; everything else is dropped.
const CAPABILITIES: &[&str] = &[
	"CHOWN",
	"DAC_OVERRIDE",
	"FOWNER",
	"SETUID",
	"SETGID",
	"SYS_CHROOT",
	"KILL",
	"NET_BIND_SERVICE",
];

/// The host's resources that leases share in proportion to their GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostShare {
	pub gpus: u32,
	pub cpus: u32,
	pub memory_mib: u64,
	/// Disk for leases, GiB (the machine's registered disk).
	pub disk_gib: u64,
}

/// What one lease container may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
	pub memory_mib: u64,
	/// CPUs in thousandths.
	pub cpu_millis: u64,
	pub pids: u64,
	pub shm_mib: u64,
	/// The container's writable layer, GiB, where the storage driver can cap it.
	pub disk_gib: u64,
}

impl HostShare {
	/// A lease of `gpus` GPUs gets that fraction of 90 % of the memory (the rest is the host's
	/// and the worker's) and of the CPUs, 1,024 processes per GPU, and a quarter of its memory
	/// as shared memory (what data loaders use).
	pub fn limits(&self, gpus: u32) -> Limits {
		let total = u64::from(self.gpus.max(1));
		let gpus = u64::from(gpus.clamp(1, self.gpus.max(1)));
		let memory_mib = (self.memory_mib * 9 / 10 * gpus / total).max(256);
		Limits {
			memory_mib,
			cpu_millis: (u64::from(self.cpus) * 1000 * gpus / total).max(250),
			pids: 1024 * gpus,
			shm_mib: (memory_mib / 4).max(64),
			disk_gib: (self.disk_gib * gpus / total).max(1),
		}
	}
}

/// How the Docker backend runs.
#[derive(Debug, Clone)]
pub struct DockerConfig {
	pub image: String,
	/// The name renters reach this host at.
	pub public_host: String,
	/// Where ports are published: `0.0.0.0` on a host renters reach, `127.0.0.1` in tests.
	pub bind: IpAddr,
	pub ports: RangeInclusive<u16>,
	/// Where the port book is kept.
	pub state_dir: PathBuf,
	pub share: HostShare,
	/// Pass GPUs with `--gpus device=…`: real GPUs and the NVIDIA Container Toolkit. Off for
	/// simulated GPUs, which the container learns from `CUDA_VISIBLE_DEVICES` only.
	pub pass_gpus: bool,
	/// The most one `docker` command may take.
	pub command_timeout: Duration,
	/// The most a new container may take until its endpoint answers.
	pub ready_timeout: Duration,
}

/// Containers per lease; see the module doc.
pub struct DockerProvisioner {
	config: DockerConfig,
	ports: Mutex<PortBook>,
	/// Whether `--storage-opt size=` works here: overlay2 on XFS mounted with `pquota` only.
	/// Learnt by `check`.
	disk_quota: std::sync::OnceLock<bool>,
}

/// A container's state as `docker inspect` names it (`running`, `exited`, `created`, …).
type State = String;

impl DockerProvisioner {
	pub fn new(config: DockerConfig) -> Result<Self, Error> {
		let book = PortBook::load(config.state_dir.join("ports.json"), config.ports.clone())?;
		Ok(Self { config, ports: Mutex::new(book), disk_quota: std::sync::OnceLock::new() })
	}

	fn name(lease: LeaseId) -> String {
		format!("gpux-lease-{lease}")
	}
	fn network(lease: LeaseId) -> String {
		format!("gpux-lease-{lease}-net")
	}
	/// The lease's host key directory on this host.
	fn host_keys(&self, lease: LeaseId) -> PathBuf {
		self.config.state_dir.join("hostkeys").join(format!("lease-{lease}"))
	}
	/// The end digest of a lease being removed, kept until the removal is done, so a retry
	/// (or a restarted worker) attests the same digest.
	fn end_digest(&self, lease: LeaseId) -> PathBuf {
		self.config.state_dir.join("ends").join(format!("lease-{lease}.digest"))
	}

	/// Runs `docker args`; its stdout, or an error with its stderr.
	fn docker(&self, args: &[&str]) -> Result<String, Error> {
		let out = command::run("docker", args, self.config.command_timeout)?;
		if out.success {
			Ok(out.stdout)
		} else {
			Err(Error::Provision(format!("docker {}: {}", args[0], out.stderr)))
		}
	}

	fn book(&self) -> std::sync::MutexGuard<'_, PortBook> {
		// A panic while holding it cannot leave the book half-written (it is saved whole).
		self.ports.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// The `docker run` arguments of a lease.
	pub fn run_args(&self, spec: &LeaseSpec, ports: &[u16], token: Option<&str>) -> Vec<String> {
		let limits = self.config.share.limits(spec.gpus.len() as u32);
		let devices = spec.gpus.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
		let bind = self.config.bind;
		let mut args: Vec<String> = vec![
			"run".into(),
			"-d".into(),
			"--name".into(),
			Self::name(spec.lease),
			"--hostname".into(),
			Self::name(spec.lease),
			"--init".into(),
			"--network".into(),
			Self::network(spec.lease),
			"-p".into(),
			format!("{bind}:{}:22", ports[0]),
			"--memory".into(),
			format!("{}m", limits.memory_mib),
			"--memory-swap".into(),
			format!("{}m", limits.memory_mib),
			"--cpus".into(),
			format!("{}.{:03}", limits.cpu_millis / 1000, limits.cpu_millis % 1000),
			"--pids-limit".into(),
			limits.pids.to_string(),
			"--shm-size".into(),
			format!("{}m", limits.shm_mib),
			"--security-opt".into(),
			"no-new-privileges".into(),
			"--cap-drop".into(),
			"ALL".into(),
			// sshd logs every connection: rotated, so a busy endpoint cannot fill the disk.
			"--log-driver".into(),
			"local".into(),
			"--log-opt".into(),
			"max-size=16m".into(),
			"--log-opt".into(),
			"max-file=2".into(),
		];
		for cap in CAPABILITIES {
			args.extend(["--cap-add".into(), (*cap).into()]);
		}
		if self.disk_quota.get().copied().unwrap_or(false) {
			args.extend(["--storage-opt".into(), format!("size={}G", limits.disk_gib)]);
		}
		args.extend([
			"-v".into(),
			format!("{}:{HOST_KEY_DIR}:ro", self.host_keys(spec.lease).display()),
			"--label".into(),
			format!("{LABEL_LEASE}={}", spec.lease),
			"--label".into(),
			format!("{LABEL_GPUS}={devices}"),
			"-e".into(),
			format!("GPUX_LEASE={}", spec.lease),
			"-e".into(),
			format!("GPUX_SSH_KEY={}", String::from_utf8_lossy(&spec.ssh_public_key)),
		]);
		if self.config.pass_gpus {
			args.extend(["--gpus".into(), format!("\"device={devices}\"")]);
		} else {
			args.extend(["-e".into(), format!("CUDA_VISIBLE_DEVICES={devices}")]);
		}
		if let (Some(token), Some(port)) = (token, ports.get(1)) {
			args.extend([
				"-p".into(),
				format!("{bind}:{port}:8888"),
				"-e".into(),
				format!("GPUX_JUPYTER_TOKEN={token}"),
			]);
		}
		args.push(self.config.image.clone());
		args
	}

	/// The lease container's state, or `None` when there is none.
	fn state(&self, lease: LeaseId) -> Result<Option<State>, Error> {
		let name = Self::name(lease);
		let args = ["inspect", "--type", "container", "-f", "{{.State.Status}}", &name];
		let out = command::run("docker", &args, self.config.command_timeout)?;
		if out.success {
			Ok(Some(out.stdout))
		} else if out.stderr.contains("No such") {
			Ok(None)
		} else {
			Err(Error::Provision(format!("docker inspect: {}", out.stderr)))
		}
	}

	/// Makes the lease's SSH host key on this host, once.
	fn make_host_key(&self, lease: LeaseId) -> Result<(), Error> {
		let dir = self.host_keys(lease);
		if dir.join(format!("{HOST_KEY}.pub")).exists() {
			return Ok(());
		}
		let io = |e: std::io::Error| Error::Provision(format!("{}: {e}", dir.display()));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir).map_err(io)?;
		let key = dir.join(HOST_KEY).display().to_string();
		let name = Self::name(lease);
		let args = ["-q", "-t", "ed25519", "-N", "", "-C", &name, "-f", &key];
		let out = command::run("ssh-keygen", &args, self.config.command_timeout)?;
		if !out.success {
			return Err(Error::Provision(format!("ssh-keygen: {}", out.stderr)));
		}
		Ok(())
	}

	/// Creates the lease's network, its firewall rule and its container.
	fn create(&self, spec: &LeaseSpec, ports: &[u16]) -> Result<(), Error> {
		self.make_host_key(spec.lease)?;
		let network = Self::network(spec.lease);
		if let Err(e) = self.docker(&["network", "create", "--label", LABEL_LEASE, &network]) {
			if !e.to_string().contains("already exists") {
				return Err(e);
			}
		}
		self.firewall(spec.lease, true)?;
		let token = (spec.jupyter_seal_key.is_some() && ports.len() > 1).then(seal::new_token);
		let args = self.run_args(spec, ports, token.as_deref());
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		self.docker(&args).map(|_| ())
	}

	/// Where this host reaches a published port.
	fn local(&self, port: u16) -> SocketAddr {
		let ip = if self.config.bind.is_unspecified() {
			IpAddr::from([127, 0, 0, 1])
		} else {
			self.config.bind
		};
		SocketAddr::new(ip, port)
	}

	/// Waits until sshd sends its banner and, with Jupyter, `/api` answers 200.
	fn wait_ready(&self, ports: &[u16], jupyter: bool) -> Result<(), Error> {
		let deadline = Instant::now() + self.config.ready_timeout;
		let mut last = String::new();
		while Instant::now() < deadline {
			let ssh = answers(self.local(ports[0]), b"", b"SSH-");
			let web = match (jupyter, ports.get(1)) {
				(true, Some(port)) => answers(
					self.local(*port),
					b"GET /api HTTP/1.0\r\nHost: localhost\r\n\r\n",
					b"HTTP/1.1 200",
				),
				_ => Ok(()),
			};
			match ssh.and(web) {
				Ok(()) => return Ok(()),
				Err(e) => last = e,
			}
			std::thread::sleep(Duration::from_millis(250));
		}
		Err(Error::Provision(format!(
			"the endpoint did not answer within {} s: {last}",
			self.config.ready_timeout.as_secs()
		)))
	}

	/// Drops (or stops dropping) what the lease's network sends to this host itself: a
	/// container reaches the internet and its own published ports, not the node's RPC, p2p or
	/// Prometheus ports nor any other service of the host listening on every address.
	fn firewall(&self, lease: LeaseId, add: bool) -> Result<(), Error> {
		let id = match self.docker(&["network", "inspect", "-f", "{{.Id}}", &Self::network(lease)])
		{
			Ok(id) => id,
			Err(_) if !add => return Ok(()),
			Err(e) => return Err(e),
		};
		let bridge = format!("br-{}", id.get(..12).unwrap_or(&id));
		let rule = |op: &str| -> Vec<String> {
			// New connections only: replies to the host's own connections (the readiness
			// check, Docker's port proxy) come back through the same bridge.
			["-w", op, "INPUT", "-i", &bridge, "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"]
				.iter()
				.map(|a| a.to_string())
				.collect()
		};
		let present = command::run("iptables", &rule("-C"), self.config.command_timeout)?.success;
		if present == add {
			return Ok(());
		}
		let out = command::run(
			"iptables",
			&rule(if add { "-I" } else { "-D" }),
			self.config.command_timeout,
		)?;
		if out.success {
			Ok(())
		} else {
			Err(Error::Provision(format!("iptables: {}", out.stderr)))
		}
	}

	/// SHA-256 of the lease's SSH host key blob, from the worker's own copy.
	fn host_key_fingerprint(&self, lease: LeaseId) -> Result<Hash32, Error> {
		let path = self.host_keys(lease).join(format!("{HOST_KEY}.pub"));
		let line = std::fs::read_to_string(&path)
			.map_err(|e| Error::Provision(format!("{}: {e}", path.display())))?;
		gpux_client::format::key_line_hash(&line)
			.ok_or_else(|| Error::Provision(format!("lease {lease}: unreadable host key")))
	}

	/// The Jupyter token the container was created with.
	fn jupyter_token(&self, lease: LeaseId) -> Result<Option<String>, Error> {
		let env = self.docker(&[
			"inspect",
			"--type",
			"container",
			"-f",
			"{{range .Config.Env}}{{println .}}{{end}}",
			&Self::name(lease),
		])?;
		Ok(env.lines().find_map(|l| l.strip_prefix("GPUX_JUPYTER_TOKEN=")).map(str::to_string))
	}
}

/// Connects to `addr`, sends `request`, and checks the answer starts with `expect`.
fn answers(addr: SocketAddr, request: &[u8], expect: &[u8]) -> Result<(), String> {
	let timeout = Duration::from_secs(2);
	let mut stream =
		TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
	stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
	stream.write_all(request).map_err(|e| format!("{addr}: {e}"))?;
	let mut answer = vec![0u8; expect.len()];
	stream.read_exact(&mut answer).map_err(|e| format!("{addr}: {e}"))?;
	if answer == expect {
		Ok(())
	} else {
		Err(format!("{addr} answered {:?}", String::from_utf8_lossy(&answer)))
	}
}

impl Provisioner for DockerProvisioner {
	fn check(&self) -> Result<(), Error> {
		self.docker(&["version", "--format", "{{.Server.Version}}"]).map_err(|e| {
			Error::Config(format!(
				"no Docker engine answers ({e}); start dockerd (scripts/dockerd.sh does)"
			))
		})?;
		self.docker(&["image", "inspect", "--format", "{{.Id}}", &self.config.image]).map_err(
			|_| {
				Error::Config(format!(
					"the lease image {} is missing: build it with scripts/build-lease-image.sh",
					self.config.image
				))
			},
		)?;
		// Every GPU its own lease, each with SSH and Jupyter.
		self.book().ensure_room(self.config.share.gpus, 2)?;
		for (tool, args) in [
			("ssh-keygen", vec!["-l", "-f", "/dev/null"]),
			("iptables", vec!["-w", "-L", "INPUT", "-n"]),
		] {
			let usable = command::run(tool, &args, self.config.command_timeout)
				.is_ok_and(|out| tool == "ssh-keygen" || out.success);
			if !usable {
				return Err(Error::Config(format!(
					"`{tool}` is missing or not allowed: the Docker backend makes host keys with \
					 ssh-keygen and keeps leases off this host's own ports with iptables (as root)"
				)));
			}
		}
		// A disk cap needs overlay2 on XFS with project quotas: try one.
		let storage = self.docker(&["info", "--format", "{{.Driver}} {{json .DriverStatus}}"])?;
		let quota = storage.contains(r#"["Backing Filesystem","xfs"]"#) && {
			let probe = "gpux-quota-probe";
			let _ = self.docker(&["rm", "-f", probe]);
			let made = self
				.docker(&[
					"create",
					"--name",
					probe,
					"--storage-opt",
					"size=1G",
					&self.config.image,
				])
				.is_ok();
			let _ = self.docker(&["rm", "-f", probe]);
			made
		};
		if !quota {
			tracing::warn!(
				"lease disks are not capped: Docker's {storage} cannot (overlay2 on XFS with pquota can)"
			);
		}
		let _ = self.disk_quota.set(quota);
		Ok(())
	}

	fn start(&self, spec: &LeaseSpec) -> Result<Endpoint, Error> {
		// A lease keeps the ports it has: its container was made with them.
		let ports =
			self.book().reserve(spec.lease, if spec.jupyter_seal_key.is_some() { 2 } else { 1 })?;
		let name = Self::name(spec.lease);
		match self.state(spec.lease)?.as_deref() {
			None => self.create(spec, &ports)?,
			Some("running") => {},
			Some("exited" | "created") => {
				self.docker(&["start", &name])?;
			},
			Some("paused") => {
				self.docker(&["unpause", &name])?;
			},
			// `dead`, `removing`: make it again (same host key, same ports).
			Some(_) => {
				self.docker(&["rm", "-f", &name])?;
				self.create(spec, &ports)?;
			},
		}
		let token = match spec.jupyter_seal_key {
			Some(_) => self.jupyter_token(spec.lease)?,
			None => None,
		};
		self.wait_ready(&ports, token.is_some())?;
		let jupyter = match (spec.jupyter_seal_key, token, ports.get(1)) {
			(Some(key), Some(token), Some(port)) => Some(JupyterEndpoint {
				port: *port,
				sealed_token: seal::seal(&key, token.as_bytes())?.try_into().map_err(|_| {
					Error::Provision("the sealed token is longer than the chain takes".into())
				})?,
			}),
			_ => None,
		};
		Ok(Endpoint {
			host: self
				.config
				.public_host
				.as_bytes()
				.to_vec()
				.try_into()
				.map_err(|_| Error::Config("--public-host is longer than 253 bytes".into()))?,
			port: ports[0],
			method: AccessMethod::Ssh,
			host_key_fingerprint: Some(self.host_key_fingerprint(spec.lease)?),
			jupyter,
		})
	}

	fn notify_preemption(&self, lease: LeaseId, until: u32) -> Result<(), Error> {
		self.docker(&[
			"exec",
			&Self::name(lease),
			"/usr/local/sbin/gpux-preempt",
			&until.to_string(),
		])
		.map(|_| ())
	}

	fn stop(&self, lease: LeaseId) -> Result<Hash32, Error> {
		let name = Self::name(lease);
		let io = |p: &std::path::Path, e: std::io::Error| {
			Error::Provision(format!("{}: {e}", p.display()))
		};
		// The digest is taken once, before anything is removed, and kept until all is gone.
		let digest_file = self.end_digest(lease);
		let digest = match std::fs::read_to_string(&digest_file)
			.ok()
			.and_then(|h| hex::decode(h.trim()).ok())
		{
			Some(bytes) if bytes.len() == 32 => bytes.try_into().unwrap_or_default(),
			_ => {
				// What ran: the image, the container, and what it logged (the first 16 MiB of
				// each stream). A log that cannot be read does not stop the removal.
				let ran = match self.state(lease)? {
					Some(_) => {
						let ids = self.docker(&["inspect", "-f", "{{.Image}} {{.Id}}", &name])?;
						let logs = match command::run_capped(
							"docker",
							&["logs", &name],
							self.config.command_timeout,
							16 << 20,
						) {
							Ok(out) => {
								let cut = if out.truncated { "\n(cut at 16 MiB)" } else { "" };
								format!("{}\n{}{cut}", out.stdout, out.stderr)
							},
							Err(e) => format!("(logs unreadable: {e})"),
						};
						format!("{ids}\n{logs}")
					},
					None => String::new(),
				};
				let digest = super::digest(lease, ran.as_bytes());
				if let Some(dir) = digest_file.parent() {
					std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
				}
				std::fs::write(&digest_file, hex::encode(digest))
					.map_err(|e| io(&digest_file, e))?;
				digest
			},
		};
		if self.state(lease)?.is_some() {
			self.docker(&["rm", "-f", "-v", &name])?;
		}
		if self.state(lease)?.is_some() {
			return Err(Error::Provision(format!("lease {lease}: its container is still there")));
		}
		self.firewall(lease, false)?;
		if let Err(e) = self.docker(&["network", "rm", &Self::network(lease)]) {
			if !e.to_string().contains("No such") && !e.to_string().contains("not found") {
				return Err(e);
			}
		}
		let keys = self.host_keys(lease);
		if let Err(e) = std::fs::remove_dir_all(&keys) {
			if e.kind() != std::io::ErrorKind::NotFound {
				return Err(io(&keys, e));
			}
		}
		self.book().release(lease)?;
		let _ = std::fs::remove_file(&digest_file);
		Ok(digest)
	}

	fn active(&self) -> Result<Vec<ActiveLease>, Error> {
		let filter = format!("label={LABEL_LEASE}");
		let format = format!(
			"{{{{.Label \"{LABEL_LEASE}\"}}}};{{{{.Label \"{LABEL_GPUS}\"}}}};{{{{.State}}}}"
		);
		let out = self.docker(&["ps", "-a", "--filter", &filter, "--format", &format])?;
		let mut active: Vec<ActiveLease> = out
			.lines()
			.filter_map(|line| {
				let mut parts = line.split(';');
				let lease = parts.next()?.parse().ok()?;
				let gpus = parts.next()?.split(',').filter_map(|g| g.parse().ok()).collect();
				let running = parts.next()? == "running";
				Some(ActiveLease { lease, gpus, running })
			})
			.collect();
		// A lease that holds ports but has no container (its start failed half-way, or its
		// removal did): listed without GPUs, so it is either made or cleaned up.
		for lease in self.book().leases() {
			if !active.iter().any(|a| a.lease == lease) {
				active.push(ActiveLease { lease, gpus: Vec::new(), running: false });
			}
		}
		active.sort_by_key(|a| a.lease);
		Ok(active)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn provisioner(pass_gpus: bool) -> DockerProvisioner {
		let state_dir = std::env::temp_dir().join(format!("gpux-docker-{}", std::process::id()));
		DockerProvisioner::new(DockerConfig {
			image: "gpux/lease:1".into(),
			public_host: "gpu-1.example.net".into(),
			bind: IpAddr::from([127, 0, 0, 1]),
			ports: 40_000..=40_099,
			state_dir,
			share: HostShare { gpus: 4, cpus: 32, memory_mib: 256 * 1024, disk_gib: 2000 },
			pass_gpus,
			command_timeout: Duration::from_secs(30),
			ready_timeout: Duration::from_secs(60),
		})
		.unwrap()
	}

	#[test]
	fn a_lease_gets_a_share_of_the_host_in_proportion_to_its_gpus() {
		let share = HostShare { gpus: 4, cpus: 32, memory_mib: 256 * 1024, disk_gib: 2000 };
		let one = share.limits(1);
		assert_eq!(
			one,
			Limits {
				memory_mib: 58_982,
				cpu_millis: 8_000,
				pids: 1024,
				shm_mib: 14_745,
				disk_gib: 500
			}
		);
		let all = share.limits(4);
		assert_eq!((all.memory_mib, all.cpu_millis, all.pids), (235_929, 32_000, 4096));
		// Never more than the host, never nothing on a small one.
		assert_eq!(share.limits(9), all);
		let tiny = HostShare { gpus: 8, cpus: 1, memory_mib: 1024, disk_gib: 0 }.limits(1);
		assert_eq!((tiny.memory_mib, tiny.cpu_millis, tiny.shm_mib), (256, 250, 64));
	}

	#[test]
	fn a_container_gets_only_its_gpus_its_key_its_limits_and_no_privileges() {
		let spec = LeaseSpec {
			lease: 1_042,
			gpus: vec![0, 2],
			ssh_public_key: gpux_primitives::access::EXAMPLE_SSH_KEY.to_vec(),
			jupyter_seal_key: Some([9; 32]),
		};
		let args = provisioner(true).run_args(&spec, &[40_003, 40_004], Some("t0ken")).join(" ");
		for part in [
			"--gpus \"device=0,2\"",
			"-p 127.0.0.1:40003:22",
			"-p 127.0.0.1:40004:8888",
			"--network gpux-lease-1042-net",
			"--memory 117964m --memory-swap 117964m",
			"--cpus 16.000",
			"--pids-limit 2048",
			"--security-opt no-new-privileges",
			"--cap-drop ALL",
			"hostkeys/lease-1042:/etc/gpux/hostkeys:ro",
			"--log-driver local --log-opt max-size=16m",
			"GPUX_JUPYTER_TOKEN=t0ken",
			"GPUX_SSH_KEY=ssh-ed25519 AAAA",
		] {
			assert!(args.contains(part), "{part} missing from {args}");
		}
		assert!(!args.contains("CUDA_VISIBLE_DEVICES"), "{args}");
		assert!(!args.contains("--storage-opt"), "no quota until the driver is known to take one");
		assert!(!args.contains("--privileged"));
		assert!(args.ends_with("gpux/lease:1"));
		// Simulated GPUs: no device flag, the list in the environment; no token, no Jupyter.
		let spec = LeaseSpec { jupyter_seal_key: None, ..spec };
		let p = provisioner(false);
		p.disk_quota.set(true).unwrap();
		let args = p.run_args(&spec, &[40_003], None).join(" ");
		assert!(args.contains("--storage-opt size=1000G"), "{args}");
		assert!(args.contains("CUDA_VISIBLE_DEVICES=0,2") && !args.contains("--gpus"), "{args}");
		assert!(!args.contains("8888") && !args.contains("JUPYTER"), "{args}");
	}
}
