//! The renter's leases: what they are doing, how to reach them, and what a renter can do.

use std::{
	os::unix::fs::{DirBuilderExt, OpenOptionsExt},
	path::PathBuf,
	process::Command,
};

use clap::Args;
use gpux_client::{format, rpc::Chain};
use gpux_primitives::{
	attestation::{AccessMethod, Endpoint},
	AccountId, LeaseId,
};
use gpux_runtime::RuntimeCall;
use pallet_leases::LeaseStatus;
use serde_json::{json, Value};

use crate::{
	account,
	chain::{self, Lease},
	output::Out,
	Error, KeyArgs,
};

#[derive(Args)]
pub struct LeasesArgs {
	/// Whose leases (an address); the signing account's if not given.
	#[arg(long)]
	account: Option<String>,
	/// Only open leases.
	#[arg(long)]
	open: bool,
}

/// The most pages of 100 leases `gpux leases` reads.
const MAX_PAGES: u32 = 100;

/// A lease and what the chain says about it now.
struct View {
	id: LeaseId,
	lease: Lease,
	accrued: u128,
	endpoint: Option<Endpoint>,
}

async fn view(chain: &Chain, id: LeaseId, lease: Lease) -> Result<View, Error> {
	let accrued = chain::accrued(chain, id).await?;
	let endpoint = chain::attestation(chain, id).await?.and_then(|a| a.started).map(|(e, _)| e);
	Ok(View { id, lease, accrued, endpoint })
}

fn status(lease: &Lease) -> String {
	match &lease.status {
		LeaseStatus::Active => "active".into(),
		LeaseStatus::Preempting { until } => format!("preempted, ends at block {until}"),
		LeaseStatus::Closed { reason } => format!("closed ({reason:?})"),
	}
}

fn host(endpoint: &Endpoint) -> String {
	String::from_utf8_lossy(&endpoint.host).into_owned()
}

/// The endpoint's host, refused unless it is a plain name or address (it goes to ssh).
fn checked_host(endpoint: &Endpoint) -> Result<String, Error> {
	let host = host(endpoint);
	if format::is_plain_host(&host) {
		Ok(host)
	} else {
		Err(Error::Local(format!(
			"the provider attested {host:?} as the host: not a plain host name or address; refusing to use it (report the lease)"
		)))
	}
}

pub async fn list(chain: &Chain, key: &KeyArgs, args: LeasesArgs, out: &Out) -> Result<(), Error> {
	let renter: AccountId = account::account(key, args.account.as_deref())?;
	let mut views = Vec::new();
	let mut after: Option<LeaseId> = None;
	let mut pages = 0;
	loop {
		let page: Vec<(LeaseId, Lease)> =
			chain::api(chain, "LeasesApi_leases_of", (&renter, after, 100u32)).await?;
		let last = page.last().map(|(id, _)| *id);
		for (id, lease) in page {
			if !args.open || lease.is_open() {
				views.push(view(chain, id, lease).await?);
			}
		}
		// Pages move forward or the listing stops (a node answering the same page again).
		match last {
			Some(id) if after.is_none_or(|a| id > a) && pages < MAX_PAGES => after = Some(id),
			_ => break,
		}
		pages += 1;
	}
	let best = chain::best(chain).await?;
	out.result(
		|| {
			let mut text = String::new();
			for v in &views {
				let l = &v.lease;
				text += &format!(
					"lease {}: machine {}, {} GPU(s), {:?}, {}, spent {} of {}",
					v.id,
					l.machine,
					l.gpus,
					l.mode,
					status(l),
					format::tokens(l.paid.saturating_add(v.accrued)),
					format::tokens(l.paid.saturating_add(l.escrow)),
				);
				if l.is_open() {
					text += &format!(", {} blocks left", l.ends_at.saturating_sub(best));
				}
				text += "\n";
				let usable = v.endpoint.as_ref().filter(|e| format::is_plain_host(&host(e)));
				if let Some(e) = usable {
					text += &format!(
						"  ssh -p {} root@{}   (`gpux ssh {}` checks the host key)\n",
						e.port,
						host(e),
						v.id
					);
					if let Some(fp) = &e.host_key_fingerprint {
						text += &format!("  host key {}\n", format::fingerprint(fp));
					}
					if e.jupyter.is_some() {
						text += &format!("  jupyter: `gpux jupyter {} --seal-secret FILE`\n", v.id);
					}
				} else if let Some(e) = &v.endpoint {
					text += &format!(
						"  the provider attested the host {:?}, not a plain name or address: not shown (report the lease)\n",
						host(e)
					);
				} else if l.is_open() {
					text += "  waiting for the worker to attest the start\n";
				}
			}
			if views.is_empty() {
				text += "no lease\n";
			}
			text
		},
		Value::Array(views.iter().map(|v| lease_json(v, best)).collect()),
	);
	Ok(())
}

fn lease_json(v: &View, best: u32) -> Value {
	let l = &v.lease;
	json!({
		"lease": v.id,
		"machine": l.machine,
		"provider": format::address(&l.provider),
		"gpus": l.gpus,
		"mode": format!("{:?}", l.mode),
		"status": status(l),
		"state": match l.status {
			LeaseStatus::Active => "active",
			LeaseStatus::Preempting { .. } => "preempting",
			LeaseStatus::Closed { .. } => "closed",
		},
		"open": l.is_open(),
		"pricePerGpuHour": l.price_per_gpu_hour.to_string(),
		"startsAt": l.starts_at,
		"endsAt": l.ends_at,
		"blocksLeft": if l.is_open() { l.ends_at.saturating_sub(best) } else { 0 },
		"spent": l.paid.saturating_add(v.accrued).to_string(),
		"budget": l.paid.saturating_add(l.escrow).to_string(),
		// The host only when it is safe to hand to ssh; `hostValid` says whether it was.
		"endpoint": v.endpoint.as_ref().map(|e| json!({
			"host": format::is_plain_host(&host(e)).then(|| host(e)),
			"hostValid": format::is_plain_host(&host(e)),
			"sshPort": e.port,
			"hostKeyFingerprint": e.host_key_fingerprint.as_ref().map(format::fingerprint),
			"jupyterPort": e.jupyter.as_ref().map(|j| j.port),
		})),
	})
}

/// The lease `id`, refused unless the signing account rents it.
async fn own_lease(chain: &Chain, key: &KeyArgs, id: LeaseId) -> Result<Lease, Error> {
	let lease = chain::lease(chain, id).await?;
	let me = account::account(key, None)?;
	if lease.renter != me {
		return Err(Error::Input(format!("lease {id} is not this account's (NotRenter)")));
	}
	Ok(lease)
}

pub async fn extend(
	chain: &Chain,
	key: &KeyArgs,
	id: LeaseId,
	extra: u32,
	out: &Out,
) -> Result<(), Error> {
	let lease = own_lease(chain, key, id).await?;
	if !lease.is_open() {
		return Err(Error::Input(format!("lease {id} is closed (LeaseClosed)")));
	}
	if lease.held_payout.is_some() {
		return Err(Error::Input(format!(
			"lease {id} is a job's: its job set its length (JobLeaseFixed)"
		)));
	}
	if matches!(lease.status, LeaseStatus::Preempting { .. }) {
		return Err(Error::Input(format!("lease {id} is being preempted (LeasePreempting)")));
	}
	let machine = chain::machine(chain, lease.machine).await?;
	let terms = machine.listing.ok_or_else(|| {
		Error::Input(format!("machine {} is no longer listed (NotListed)", lease.machine))
	})?;
	let mfp = chain::mfp(chain, machine.spec.gpu_class).await?;
	if lease.price_per_gpu_hour > mfp {
		return Err(Error::Input(format!(
			"the lease's price of {} per GPU-hour is above the class's Maximum Fair Price now, {} (PriceAboveMfp)",
			format::tokens(lease.price_per_gpu_hour),
			format::tokens(mfp)
		)));
	}
	let total = lease.ends_at.saturating_sub(lease.starts_at).saturating_add(extra);
	if total > terms.max_lease_blocks {
		return Err(Error::Input(format!(
			"the listing takes leases of at most {} blocks; this one would be {total} (DurationOutOfBounds)",
			terms.max_lease_blocks
		)));
	}
	if let Some(until) = terms.available_until {
		if lease.ends_at.saturating_add(extra) > until {
			return Err(Error::Input(format!(
				"the machine is listed until block {until}: the lease cannot run past it (DurationOutOfBounds)"
			)));
		}
	}
	let more = chain::lease_cost(lease.price_per_gpu_hour, lease.gpus, extra)?;
	let call = RuntimeCall::Leases(pallet_leases::Call::extend { lease: id, extra });
	let included = chain::send(chain, key, call, more, out).await?;
	let ends_at = chain::lease(chain, id).await?.ends_at;
	out.result(
		|| format!("lease {id} now ends at block {ends_at}"),
		json!({ "lease": id, "endsAt": ends_at, "block": included.number }),
	);
	Ok(())
}

pub async fn terminate(chain: &Chain, key: &KeyArgs, id: LeaseId, out: &Out) -> Result<(), Error> {
	let lease = own_lease(chain, key, id).await?;
	if !lease.is_open() {
		return Err(Error::Input(format!("lease {id} is closed already (LeaseClosed)")));
	}
	let call = RuntimeCall::Leases(pallet_leases::Call::terminate { lease: id });
	let included = chain::send(chain, key, call, 0, out).await?;
	let refunded = chain::find(&included.events, |e| match e {
		gpux_runtime::RuntimeEvent::Leases(pallet_leases::Event::Closed {
			lease,
			refunded,
			..
		}) if *lease == id => Some(*refunded),
		_ => None,
	});
	out.result(
		|| format!("lease {id} ended; {} refunded", format::tokens(refunded.unwrap_or_default())),
		json!({ "lease": id, "refunded": refunded.map(|r| r.to_string()), "block": included.number }),
	);
	Ok(())
}

pub async fn rate(
	chain: &Chain,
	key: &KeyArgs,
	id: LeaseId,
	stars: u8,
	out: &Out,
) -> Result<(), Error> {
	if !(1..=5).contains(&stars) {
		return Err(Error::Input("a rating is 1 to 5 stars (InvalidRating)".into()));
	}
	let lease = own_lease(chain, key, id).await?;
	if lease.is_open() {
		return Err(Error::Input(format!(
			"lease {id} is still open: rate it once it has closed (LeaseNotClosed)"
		)));
	}
	if lease.rating.is_some() {
		return Err(Error::Input(format!("lease {id} is rated already (AlreadyRated)")));
	}
	let call = RuntimeCall::Leases(pallet_leases::Call::rate { lease: id, stars });
	let included = chain::send(chain, key, call, 0, out).await?;
	out.result(
		|| format!("lease {id} rated {stars}/5"),
		json!({ "lease": id, "stars": stars, "block": included.number }),
	);
	Ok(())
}

/// The attested endpoint of lease `id`, or why there is none.
async fn endpoint(chain: &Chain, id: LeaseId) -> Result<Endpoint, Error> {
	let lease = chain::lease(chain, id).await?;
	if !lease.is_open() {
		return Err(Error::Input(format!("lease {id} is closed ({})", status(&lease))));
	}
	chain::attestation(chain, id).await?.and_then(|a| a.started).map(|(e, _)| e).ok_or_else(|| {
		Error::NotFound(format!(
			"lease {id}'s start is not attested yet: the worker is still setting it up"
		))
	})
}

#[derive(Args)]
pub struct SshArgs {
	lease: LeaseId,
	/// The private key to log in with (ssh's -i).
	#[arg(short = 'i', long)]
	identity: Option<PathBuf>,
	/// A command to run instead of a shell.
	#[arg(last = true)]
	command: Vec<String>,
}

/// Scans the host key the endpoint presents, checks its SHA-256 against the attested
/// fingerprint, pins it in a known_hosts file of its own (in a new private directory), and runs
/// ssh with strict checking against that file only; exits with ssh's status.
pub async fn ssh(chain: &Chain, args: SshArgs) -> Result<(), Error> {
	let e = endpoint(chain, args.lease).await?;
	if e.method != AccessMethod::Ssh {
		return Err(Error::NotFound(format!("lease {} is not reached over SSH", args.lease)));
	}
	let host = checked_host(&e)?;
	let attested = e.host_key_fingerprint.ok_or_else(|| {
		Error::NotFound(format!(
			"lease {}'s provider attested no host key: refusing to log in without one to check",
			args.lease
		))
	})?;
	let scan = Command::new("ssh-keyscan")
		.args(["-T", "10", "-t", "ed25519", "-p", &e.port.to_string(), "--", &host])
		.env_remove("GPUX_SURI")
		.env_remove("GPUX_KEY_PASSPHRASE")
		.output()
		.map_err(|e| Error::Local(format!("ssh-keyscan: {e} (install openssh-client)")))?;
	let text = String::from_utf8_lossy(&scan.stdout);
	let blob = text
		.lines()
		.filter_map(|l| {
			let mut words = l.split_whitespace().skip(1);
			(words.next() == Some("ssh-ed25519")).then(|| words.next()).flatten()
		})
		.next()
		.ok_or_else(|| Error::Local(format!("{host}:{} presented no ed25519 host key", e.port)))?;
	let key = format!("ssh-ed25519 {blob}");
	let presented = format::key_line_hash(&key)
		.ok_or_else(|| Error::Local("the presented host key does not parse".into()))?;
	if presented != attested {
		return Err(Error::Local(format!(
			"the host key at {host}:{} is {}, the worker attested {}: refusing to connect (someone may be in between)",
			e.port,
			format::fingerprint(&presented),
			format::fingerprint(&attested)
		)));
	}
	let dir = private_dir()?;
	let known_hosts = dir.join("known_hosts");
	let written = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(&known_hosts)
		.and_then(|mut f| {
			use std::io::Write;
			let pattern = if e.port == 22 { host.clone() } else { format!("[{host}]:{}", e.port) };
			writeln!(f, "{pattern} {key}")
		});
	let status = written
		.map_err(|e| Error::Local(format!("{}: {e}", known_hosts.display())))
		.and_then(|()| {
			let mut ssh = Command::new("ssh");
			ssh.args(["-p", &e.port.to_string(), "-o"])
				.arg(format!("UserKnownHostsFile={}", known_hosts.display()))
				.args([
					"-o",
					"GlobalKnownHostsFile=/dev/null",
					// OpenSSH before 8.5 has no KnownHostsCommand: ignored there, not an error.
					"-o",
					"IgnoreUnknown=KnownHostsCommand",
					"-o",
					"KnownHostsCommand=none",
					"-o",
					"StrictHostKeyChecking=yes",
					"-o",
					"UpdateHostKeys=no",
					"-o",
					"HostKeyAlgorithms=ssh-ed25519",
				])
				.env_remove("GPUX_SURI")
				.env_remove("GPUX_KEY_PASSPHRASE");
			if let Some(identity) = &args.identity {
				ssh.arg("-i").arg(identity);
			}
			ssh.arg("--").arg(format!("root@{host}")).args(&args.command);
			ssh.status().map_err(|e| Error::Local(format!("ssh: {e} (install openssh-client)")))
		});
	let _ = std::fs::remove_dir_all(&dir);
	std::process::exit(status?.code().unwrap_or(255));
}

/// A new directory only this user can enter, under the temporary directory, with a name no one
/// can guess ahead (it must not exist yet).
fn private_dir() -> Result<PathBuf, Error> {
	use crypto_box::aead::rand_core::RngCore;
	let mut tag = [0u8; 12];
	crypto_box::aead::OsRng.fill_bytes(&mut tag);
	let dir = std::env::temp_dir().join(format!("gpux-ssh-{}", hex::encode(tag)));
	std::fs::DirBuilder::new()
		.mode(0o700)
		.create(&dir)
		.map_err(|e| Error::Local(format!("{}: {e}", dir.display())))?;
	Ok(dir)
}

#[derive(Args)]
pub struct JupyterArgs {
	lease: LeaseId,
	/// The seal secret's file (`gpux seal-key FILE` made it).
	#[arg(long, env = "GPUX_SEAL_SECRET_FILE")]
	seal_secret: PathBuf,
}

pub async fn jupyter(chain: &Chain, args: JupyterArgs, out: &Out) -> Result<(), Error> {
	let e = endpoint(chain, args.lease).await?;
	let jupyter = e.jupyter.as_ref().ok_or_else(|| {
		Error::NotFound(format!(
			"lease {} has no Jupyter: the listing offers none, or the lease gave no seal key",
			args.lease
		))
	})?;
	let text =
		gpux_client::keyfile::read(&args.seal_secret, "; make one with `gpux seal-key FILE`")?;
	let secret: [u8; 32] = gpux_client::keyfile::plain_seed(&text)
		.map_err(|why| Error::Local(format!("{}: {why}", args.seal_secret.display())))?;
	let token =
		crypto_box::SecretKey::from(secret).unseal(&jupyter.sealed_token).map_err(|_| {
			Error::Local("the token was sealed to another seal key than this secret's".into())
		})?;
	// A token goes into a URL and a terminal: only what Jupyter's own tokens are made of.
	let token = String::from_utf8(token)
		.ok()
		.filter(|t| {
			(1..=128).contains(&t.len())
				&& t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
		})
		.ok_or_else(|| {
			Error::Local(
				"the opened token is not a plain token (letters, digits, - and _): refusing to use it (report the lease)"
					.into(),
			)
		})?;
	let host = checked_host(&e)?;
	let url = format!("http://{}:{}/?token={token}", format::url_host(&host), jupyter.port);
	let tunnel = format!("ssh -p {} -L 8888:127.0.0.1:8888 root@{host}", e.port);
	out.result(
		|| format!("{url}\n(plain HTTP: on a network you do not trust, tunnel it: `{tunnel}`, then http://127.0.0.1:8888/?token={token})"),
		json!({ "lease": args.lease, "url": url, "token": token, "port": jupyter.port }),
	);
	Ok(())
}

/// Writes a new seal secret to `file` (0600, refusing to overwrite) and prints its public key.
pub fn new_seal_key(file: &std::path::Path, out: &Out) -> Result<(), Error> {
	let secret = crypto_box::SecretKey::generate(&mut crypto_box::aead::OsRng);
	let public = hex::encode(secret.public_key().as_bytes());
	// A seal secret is a plain key file: what `jupyter` reads back with `keyfile::read`.
	gpux_client::keyfile::create(file, &secret.to_bytes(), None, ": choose another file")?;
	out.result(
		|| format!("seal secret written to {} (keep it)\nseal key: 0x{public}   (give it as --seal-key)", file.display()),
		json!({ "file": file.display().to_string(), "sealKey": format!("0x{public}") }),
	);
	Ok(())
}
