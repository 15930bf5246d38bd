//! `gpux-worker status`: the GPUs as this host reads them, then the machine as the chain sees it
//! — registration, listing, the last heartbeat that landed, open challenges, leases with their
//! endpoints, and the provider's bond — so an operator checks a host with one command.

use std::fmt::Write;

use gpux_primitives::{attestation::AccessMethod, MachineId};
use pallet_attestation::ChallengeState;

use crate::{
	chain::keys,
	client::Chain,
	compat::{Compat, Duty},
	error::Error,
	signer::MachineKey,
};

type Machine = pallet_marketplace::MachineRecordOf<gpux_runtime::Runtime>;
type Heartbeat = pallet_attestation::HeartbeatRecordOf<gpux_runtime::Runtime>;
type Challenge = pallet_attestation::ChallengeRecordOf<gpux_runtime::Runtime>;
type Lease = pallet_leases::LeaseRecordOf<gpux_runtime::Runtime>;
type Attested = pallet_attestation::LeaseAttestationOf<gpux_runtime::Runtime>;
type Bond = pallet_provider_staking::BondLedgerOf<gpux_runtime::Runtime>;

use gpux_client::format::address;
pub use gpux_client::format::{fingerprint, tokens};

/// What the chain says about `machine` (or the machine of `key`, when no id is given).
pub async fn chain_status(
	url: &str,
	machine: Option<MachineId>,
	key: Option<&MachineKey>,
) -> Result<String, Error> {
	let chain = Chain::connect(url).await?;
	let mut out = String::new();
	let (spec, _) = chain.runtime_version().await?;
	let compat = Compat::of_chain(&chain.metadata().await?, spec);
	let _ = write!(out, "chain: runtime spec {spec}");
	if compat.changed.is_empty() {
		let _ = writeln!(out, " (this worker's build matches it)");
	} else {
		let _ = writeln!(
			out,
			" — CHANGED for this worker: {}; stopped: {:?}",
			compat.changed.join(", "),
			compat.stopped()
		);
	}
	let machine = match (machine, key) {
		(Some(id), _) => id,
		(None, Some(key)) => match chain.storage(&keys::machine_of_key(key.public())).await? {
			Some(id) => id,
			None => {
				let _ =
					writeln!(out, "machine: none registered with worker key {}", key.public_hex());
				return Ok(out);
			},
		},
		(None, None) => {
			let _ =
				writeln!(out, "machine: unknown (pass --machine ID, or create a key with `init`)");
			return Ok(out);
		},
	};
	if !compat.allows(Duty::MachineCheck) {
		let _ = writeln!(
			out,
			"machine {machine}: its record changed shape; upgrade the worker to read it"
		);
		return Ok(out);
	}
	let Some(record) = chain.storage::<Machine>(&keys::machine(machine)).await? else {
		let _ = writeln!(out, "machine {machine}: not registered on this chain");
		return Ok(out);
	};
	let best = chain.best_number().await?;
	let spec = &record.spec;
	let _ = writeln!(
		out,
		"machine {machine}: provider {}, class {}, {} GPU(s) × {} GiB, {} leased; registered at block {}",
		address(&record.provider),
		spec.gpu_class,
		spec.gpu_count,
		spec.vram_gib_per_gpu,
		record.leased_gpus,
		record.registered_at,
	);
	let key_note = match key {
		Some(key) if key.public() == record.worker_key => " (this keystore's)",
		Some(_) => " (NOT this keystore's: this host cannot sign for it)",
		None => "",
	};
	let _ = writeln!(out, "worker key: 0x{}{key_note}", hex::encode(record.worker_key.0));
	match &record.listing {
		Some(l) => {
			let mut access = vec!["ssh"];
			if l.access.jupyter {
				access.push("jupyter");
			}
			if l.access.api {
				access.push("api");
			}
			let _ = writeln!(
				out,
				"listing: on-demand {} per GPU-hour, spot floor {}, leases of {}–{} blocks, access {}",
				tokens(l.on_demand_price),
				tokens(l.spot_floor_price),
				l.min_lease_blocks,
				l.max_lease_blocks,
				access.join(", ")
			);
		},
		None => {
			let _ = writeln!(out, "listing: not listed");
		},
	}
	if compat.allows(Duty::Heartbeats) {
		let beat: Option<Heartbeat> = chain.storage(&keys::heartbeat(machine)).await?;
		let _ = match beat {
			Some(b) => match b.received_at {
				Some(at) => writeln!(
					out,
					"heartbeat: last landed for window {} in block {at} ({} blocks ago), {} GPU(s) reported; {} window(s) missed in a row",
					b.last_window,
					best.saturating_sub(at),
					b.telemetry.gpus.len(),
					b.missed_in_a_row,
				),
				None => writeln!(out, "heartbeat: watched since window {}, none landed yet", b.since_window),
			},
			None => writeln!(out, "heartbeat: not watched (the machine is not listed or leased)"),
		};
	}
	if compat.allows(Duty::Challenges) {
		let open: Vec<u64> = chain.storage(&keys::open_challenges()).await?.unwrap_or_default();
		let mut any = false;
		for id in open {
			let Some(c) = chain.storage::<Challenge>(&keys::challenge(id)).await? else { continue };
			if c.machine != machine {
				continue;
			}
			any = true;
			let state = match c.state {
				ChallengeState::AwaitingCommit => {
					format!("awaiting the commitment by block {}", c.commit_by)
				},
				ChallengeState::Committed { at, .. } => {
					format!("committed at block {at}, reveal by block {}", c.reveal_by)
				},
				ChallengeState::Revealed { .. } => {
					format!(
						"revealed; verdicts {} pass, {} fail, by block {}",
						c.passes, c.fails, c.decide_by
					)
				},
			};
			let _ = writeln!(
				out,
				"challenge {id}: {} rows × {} rounds, {state}",
				c.size.rows, c.size.rounds
			);
		}
		if !any {
			let _ = writeln!(out, "challenges: none open");
		}
	}
	if compat.allows(Duty::Leases) {
		let leases: Vec<u64> =
			chain.storage(&keys::machine_leases(machine)).await?.unwrap_or_default();
		if leases.is_empty() {
			let _ = writeln!(out, "leases: none open");
		}
		for id in leases {
			let Some(l) = chain.storage::<Lease>(&keys::lease(id)).await? else { continue };
			let _ = writeln!(
				out,
				"lease {id}: renter {}, {} GPU(s), {:?}, {:?}, {} per GPU-hour, ends at block {}",
				address(&l.renter),
				l.gpus,
				l.mode,
				l.status,
				tokens(l.price_per_gpu_hour),
				l.ends_at,
			);
			let attested: Option<Attested> = chain.storage(&keys::lease_attestation(id)).await?;
			let _ = match attested.and_then(|a| a.started) {
				Some((e, at)) => {
					let host = String::from_utf8_lossy(&e.host);
					let method = match e.method {
						AccessMethod::Ssh => "ssh",
						AccessMethod::Jupyter => "jupyter",
						AccessMethod::Api => "api",
					};
					let pin =
						e.host_key_fingerprint.map(|f| format!(", host key {}", fingerprint(&f)));
					let jupyter = e.jupyter.map(|j| format!(", jupyter on port {}", j.port));
					writeln!(
						out,
						"  endpoint ({method}) {host}:{} attested at block {at}{}{}",
						e.port,
						pin.unwrap_or_default(),
						jupyter.unwrap_or_default()
					)
				},
				None => writeln!(out, "  start not attested yet"),
			};
		}
	}
	let bond: Result<Option<Bond>, Error> =
		chain.storage(&keys::bond(&record.provider)).await.map_err(Error::from);
	let _ = match bond {
		Err(e) => writeln!(out, "bond: unreadable ({e})"),
		Ok(Some(b)) => writeln!(
			out,
			"bond: {} active, {} unlocking in {} chunk(s), {} pending slash(es) of {}",
			tokens(b.active),
			tokens(b.unlocking.iter().map(|c| c.amount).sum()),
			b.unlocking.len(),
			b.pending_slashes,
			tokens(b.pending_amount),
		),
		Ok(None) => writeln!(out, "bond: none"),
	};
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_and_fingerprints_read_as_people_know_them() {
		assert_eq!(tokens(1_500_000_000_000), "1.500 GPUX");
		assert_eq!(tokens(999), "0.000 GPUX");
		// `ssh-keygen -lf` of a key whose blob hashes to these bytes prints this (no padding).
		assert_eq!(fingerprint(&[0; 32]), format!("SHA256:{}", "A".repeat(43)));
		assert_eq!(fingerprint(&[0xff; 32]).len(), "SHA256:".len() + 43);
		assert!(fingerprint(&[0xff; 32]).ends_with("/////8"));
	}
}
