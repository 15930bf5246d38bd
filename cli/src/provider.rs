//! A provider's books: machines with their listings and leases, what is due, and one claim
//! that settles all of it.

use clap::Subcommand;
use gpux_client::{format, rpc::Chain};
use gpux_primitives::{AccountId, Balance, LeaseId, MachineId};
use gpux_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use serde_json::{json, Value};

use crate::{account, chain, output::Out, Error, KeyArgs};

/// Most settlements one claim sends (each a `leases.settle`), well inside a block.
pub const MAX_SETTLEMENTS_PER_CLAIM: usize = 100;

#[derive(Subcommand)]
pub enum ProviderCommand {
	/// The provider's machines: listing, GPUs leased, open leases, and its bond.
	Status {
		/// Whose (an address); the signing account's if not given.
		#[arg(long)]
		account: Option<String>,
	},
	/// What the open leases owe the provider now, lease by lease (after the protocol fee).
	Earnings {
		#[arg(long)]
		account: Option<String>,
	},
	/// Settles every open lease with something due, in one transaction.
	Claim,
}

/// An open lease of the provider and what it owes.
struct Due {
	lease: LeaseId,
	machine: MachineId,
	/// Owed and unpaid, fee included.
	accrued: Balance,
	/// What the provider receives of it.
	to_provider: Balance,
	/// A job lease pays on the renter's acceptance, not on settlement.
	job: bool,
}

async fn dues(chain: &Chain, provider: &AccountId) -> Result<(Vec<MachineId>, Vec<Due>), Error> {
	let machines = chain::machines_of(chain, provider).await?;
	let mut dues = Vec::new();
	for &machine in &machines {
		for lease in chain::machine_leases(chain, machine).await? {
			let record = chain::lease(chain, lease).await?;
			let accrued = chain::accrued(chain, lease).await?;
			let fee = record.protocol_fee * accrued;
			dues.push(Due {
				lease,
				machine,
				accrued,
				to_provider: accrued.saturating_sub(fee),
				job: record.held_payout.is_some(),
			});
		}
	}
	Ok((machines, dues))
}

pub async fn run(
	chain: &Chain,
	key: &KeyArgs,
	command: ProviderCommand,
	out: &Out,
) -> Result<(), Error> {
	match command {
		ProviderCommand::Status { account } => {
			status(chain, &account::account(key, account.as_deref())?, out).await
		},
		ProviderCommand::Earnings { account } => {
			let provider = account::account(key, account.as_deref())?;
			let (_, dues) = dues(chain, &provider).await?;
			let total: Balance =
				dues.iter().filter(|d| !d.job).fold(0, |t, d| t.saturating_add(d.to_provider));
			out.result(
				|| {
					let mut text = format!("due now: {} over {} open lease(s)\n", format::tokens(total), dues.len());
					for d in &dues {
						text += &format!(
							"  lease {} (machine {}): {}{}\n",
							d.lease,
							d.machine,
							format::tokens(d.to_provider),
							if d.job { ", a job's: paid when the renter accepts" } else { "" }
						);
					}
					text
				},
				json!({
					"due": total.to_string(),
					"leases": dues.iter().map(|d| json!({ "lease": d.lease, "machine": d.machine, "accrued": d.accrued.to_string(), "toProvider": d.to_provider.to_string(), "job": d.job })).collect::<Vec<_>>(),
				}),
			);
			Ok(())
		},
		ProviderCommand::Claim => claim(chain, key, out).await,
	}
}

async fn status(chain: &Chain, provider: &AccountId, out: &Out) -> Result<(), Error> {
	use frame_support::storage::generator::StorageMap;
	let (machines, dues) = dues(chain, provider).await?;
	let bond: Option<pallet_provider_staking::BondLedgerOf<Runtime>> = chain
		.storage(&pallet_provider_staking::Bonds::<Runtime>::storage_map_final_key(provider))
		.await?;
	let mut rows = Vec::new();
	for &id in &machines {
		let m = chain::machine(chain, id).await?;
		rows.push((id, m));
	}
	out.result(
		|| {
			let mut text = format!("provider {}\n", format::address(provider));
			match &bond {
				Some(b) => {
					text += &format!(
						"bond {} ({} unbonding, {} pending slash(es) of {})\n",
						format::tokens(b.active),
						format::tokens(b.unlocking.iter().fold(0, |t, c| t.saturating_add(c.amount))),
						b.pending_slashes,
						format::tokens(b.pending_amount)
					)
				},
				None => text += "not bonded\n",
			}
			for (id, m) in &rows {
				text += &format!(
					"machine {id}: {} GPU(s), {} leased, {}\n",
					m.spec.gpu_count,
					m.leased_gpus,
					match &m.listing {
						Some(t) => format!("listed at {} per GPU-hour", format::tokens(t.on_demand_price)),
						None => "not listed".into(),
					}
				);
				for d in dues.iter().filter(|d| d.machine == *id) {
					text += &format!("  lease {}: {} due\n", d.lease, format::tokens(d.to_provider));
				}
			}
			text
		},
		json!({
			"provider": format::address(provider),
			"bond": bond.as_ref().map(|b| json!({ "active": b.active.to_string(), "pendingSlashes": b.pending_slashes, "pendingAmount": b.pending_amount.to_string() })),
			"machines": rows.iter().map(|(id, m)| json!({
				"machine": id,
				"gpus": m.spec.gpu_count,
				"leasedGpus": m.leased_gpus,
				"listed": m.listing.is_some(),
				"leases": dues.iter().filter(|d| d.machine == *id).map(|d| d.lease).collect::<Vec<_>>(),
			})).collect::<Vec<Value>>(),
		}),
	);
	Ok(())
}

async fn claim(chain: &Chain, key: &KeyArgs, out: &Out) -> Result<(), Error> {
	let provider = account::account(key, None)?;
	let (_, dues) = dues(chain, &provider).await?;
	let due: Vec<&Due> = dues.iter().filter(|d| d.accrued > 0 && !d.job).collect();
	if due.is_empty() {
		return Err(Error::Input(
			"nothing is due: no open lease has accrued since its last settlement".into(),
		));
	}
	let calls: Vec<RuntimeCall> = due
		.iter()
		.take(MAX_SETTLEMENTS_PER_CLAIM)
		.map(|d| RuntimeCall::Leases(pallet_leases::Call::settle { lease: d.lease }))
		.collect();
	let count = calls.len();
	// force_batch: a lease that closes meanwhile (LeaseClosed) does not undo the others.
	let call = RuntimeCall::Utility(pallet_utility::Call::force_batch { calls });
	let included = chain::send(chain, key, call, 0, out).await?;
	let mut paid: Balance = 0;
	let mut settled = Vec::new();
	for event in &included.events {
		if let RuntimeEvent::Leases(pallet_leases::Event::Settled { lease, to_provider, .. }) =
			event
		{
			paid = paid.saturating_add(*to_provider);
			settled.push(*lease);
		}
	}
	let more = due.len().saturating_sub(count);
	out.result(
		|| {
			let mut text = format!("settled {} lease(s): {} paid to you", settled.len(), format::tokens(paid));
			if settled.len() < count {
				text += &format!("; {} closed meanwhile (their close paid them)", count - settled.len());
			}
			if more > 0 {
				text += &format!("; {more} more due: claim again");
			}
			text
		},
		json!({ "settled": settled, "paid": paid.to_string(), "remaining": more, "block": included.number }),
	);
	Ok(())
}
