//! The chain as `gpux` reads and writes it: runtime APIs, storage, and transactions signed with
//! the runtime's own types.

use codec::{Decode, Encode};
use frame_support::storage::generator::{StorageDoubleMap, StorageMap};
use gpux_client::{format, rpc::Chain, tx::Included};
use gpux_primitives::{AccountId, Balance, LeaseId, MachineId};
use gpux_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use sp_core::Pair;

use crate::{account, output::Out, Error, KeyArgs};

pub type Lease = pallet_leases::LeaseRecordOf<Runtime>;
pub type Attested = pallet_attestation::LeaseAttestationOf<Runtime>;
pub type Machine = pallet_marketplace::MachineRecordOf<Runtime>;
pub type Listing = pallet_marketplace::runtime_api::ListingView<AccountId, u32>;

/// The most pages of 256 storage keys a listing reads.
const MAX_KEY_PAGES: u32 = 64;

/// Connects to the node at `url`.
pub async fn connect(url: &str) -> Result<Chain, Error> {
	if !secure_enough(url) {
		return Err(Error::Input(format!(
			"{url}: plain ws:// can be read and changed on the way (the attested host keys with it); use wss://, or ws:// to this machine only"
		)));
	}
	Ok(Chain::connect(url).await?)
}

/// `wss://` anywhere, `ws://` to this machine only.
fn secure_enough(url: &str) -> bool {
	let Some(rest) = url.strip_prefix("ws://") else { return url.starts_with("wss://") };
	let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
	let host = match authority.strip_prefix('[') {
		Some(v6) => v6.split(']').next().unwrap_or_default(),
		None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
	};
	host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Calls runtime API `method` with `args`.
pub async fn api<T: Decode>(chain: &Chain, method: &str, args: impl Encode) -> Result<T, Error> {
	Ok(chain.state_call(method, &args.encode()).await?)
}

pub async fn lease(chain: &Chain, id: LeaseId) -> Result<Lease, Error> {
	chain.storage(&pallet_leases::Leases::<Runtime>::storage_map_final_key(id)).await?.ok_or_else(
		|| Error::NotFound(format!("lease {id} does not exist (or was pruned after it closed)")),
	)
}

pub async fn attestation(chain: &Chain, id: LeaseId) -> Result<Option<Attested>, Error> {
	Ok(chain
		.storage(&pallet_attestation::LeaseAttestations::<Runtime>::storage_map_final_key(id))
		.await?)
}

pub async fn machine(chain: &Chain, id: MachineId) -> Result<Machine, Error> {
	chain
		.storage(&pallet_marketplace::Machines::<Runtime>::storage_map_final_key(id))
		.await?
		.ok_or_else(|| Error::NotFound(format!("machine {id} does not exist")))
}

/// What `lease` owes its provider now and has not paid (`LeasesApi_accrued`).
pub async fn accrued(chain: &Chain, lease: LeaseId) -> Result<Balance, Error> {
	Ok(api::<Option<Balance>>(chain, "LeasesApi_accrued", lease).await?.unwrap_or_default())
}

/// The machines `provider` registered (every page of `MachinesOf(provider, _)`).
pub async fn machines_of(chain: &Chain, provider: &AccountId) -> Result<Vec<MachineId>, Error> {
	let prefix = pallet_marketplace::MachinesOf::<Runtime>::storage_double_map_final_key1(provider);
	let mut machines = Vec::new();
	let mut start: Option<Vec<u8>> = None;
	// A provider has at most `MaxMachinesPerProvider` machines; the pages must move forward
	// under the prefix, or a node answering the same page again would hold the loop.
	for _ in 0..MAX_KEY_PAGES {
		let keys = chain.keys_paged(&prefix, 256, start.as_deref()).await?;
		for key in &keys {
			if !key.starts_with(&prefix) || start.as_ref().is_some_and(|s| key <= s) {
				return Err(chain.error("state_getKeysPaged answered keys out of order").into());
			}
			// Twox64Concat: the id's 8 bytes end the key.
			let id =
				key.len().checked_sub(8).and_then(|at| MachineId::decode(&mut &key[at..]).ok());
			machines.extend(id);
		}
		if keys.len() < 256 {
			return Ok(machines);
		}
		start = keys.last().cloned();
	}
	Ok(machines)
}

/// The open leases of `machine` (`MachineLeases`).
pub async fn machine_leases(chain: &Chain, machine: MachineId) -> Result<Vec<LeaseId>, Error> {
	let key = pallet_leases::MachineLeases::<Runtime>::storage_map_final_key(machine);
	Ok(chain.storage::<Vec<LeaseId>>(&key).await?.unwrap_or_default())
}

/// The class's Maximum Fair Price now; a class without one takes no lease.
pub async fn mfp(chain: &Chain, class: u32) -> Result<Balance, Error> {
	class_price(chain, "MarketplaceApi_mfp", class, "Maximum Fair Price").await
}

/// The class's spot price now: the least a spot lease of it bids.
pub async fn spot_price(chain: &Chain, class: u32) -> Result<Balance, Error> {
	class_price(chain, "MarketplaceApi_spot_price", class, "spot price").await
}

/// A price of `class` from runtime API `method`: the chain lists a class's machines only while
/// it has both (`listed_machine`), so a missing one is `NotListed`.
async fn class_price(
	chain: &Chain,
	method: &str,
	class: u32,
	what: &str,
) -> Result<Balance, Error> {
	api::<Option<Balance>>(chain, method, class).await?.ok_or_else(|| {
		Error::Input(format!(
			"GPU class {class} has no {what} now: its machines take no lease (NotListed)"
		))
	})
}

/// What `gpus` GPUs for `blocks` at `price` per GPU-hour cost, as the leases pallet reckons.
pub fn lease_cost(price: Balance, gpus: u32, blocks: u32) -> Result<Balance, Error> {
	pallet_leases::Pallet::<Runtime>::lease_cost(price, gpus, blocks)
		.ok_or_else(|| Error::Input("the lease's cost overflows (Overflow)".into()))
}

/// The best block's number.
pub async fn best(chain: &Chain) -> Result<u32, Error> {
	Ok(chain.best_number().await?)
}

/// What `who` can put on hold: the free balance less the existential deposit (the account must
/// survive; freezes such as vote locks do not stop a hold). The transaction's fee comes off
/// first, so a hold within a fee of this is refused by the chain, by name.
pub async fn spendable(chain: &Chain, who: &AccountId) -> Result<Balance, Error> {
	let key = frame_system::Account::<Runtime>::storage_map_final_key(who);
	let info: Option<frame_system::AccountInfo<u32, pallet_balances::AccountData<Balance>>> =
		chain.storage(&key).await?;
	let free = info.map(|i| i.data.free).unwrap_or_default();
	Ok(free.saturating_sub(gpux_runtime::EXISTENTIAL_DEPOSIT))
}

/// Signs `call` with the account, checks that it can pay `holds` (what the call puts on hold)
/// and the fee, then sends it and follows it into a block, with progress on stderr. Refuses to
/// sign for a runtime whose transactions this build would misencode.
pub async fn send(
	chain: &Chain,
	key: &KeyArgs,
	call: RuntimeCall,
	holds: Balance,
	out: &Out,
) -> Result<Included, Error> {
	let signer = account::signer(key)?;
	let versions = chain.runtime_version().await?;
	let tx_version = versions.1;
	let built = gpux_runtime::VERSION.transaction_version;
	if tx_version != built {
		return Err(Error::Input(format!(
			"the chain's transactions are version {tx_version}, this gpux encodes version {built}: install the gpux of the chain's release"
		)));
	}
	out.progress("signing…");
	let prepared = gpux_client::tx::prepare(chain, call, &signer, versions).await;
	let spendable = spendable(chain, &AccountId::from(signer.public())).await;
	let (prepared, spendable) = match (prepared, spendable) {
		(Ok(p), Ok(s)) => (p, s),
		(Err(e), _) => {
			out.done("not sent");
			return Err(e.into());
		},
		(_, Err(e)) => {
			out.done("not sent");
			return Err(e);
		},
	};
	if holds.saturating_add(prepared.fee) > spendable {
		out.done("not sent");
		return Err(Error::Unsent(format!(
			"the account can spend {} (its free balance less the existential deposit); this needs {} and a fee of {}",
			format::tokens(spendable),
			format::tokens(holds),
			format::tokens(prepared.fee)
		)));
	}
	let result = gpux_client::tx::submit(chain, &prepared, |p| out.pool(p)).await;
	match &result {
		Ok(included) => out.done(&format!("in block #{}", included.number)),
		Err(gpux_client::Error::Unconfirmed(_)) => out.done("fate unknown"),
		Err(_) => out.done("refused"),
	}
	Ok(result?)
}

/// The first event of `events` that `pick` recognises.
pub fn find<T>(events: &[RuntimeEvent], pick: impl Fn(&RuntimeEvent) -> Option<T>) -> Option<T> {
	events.iter().find_map(pick)
}

#[cfg(test)]
mod tests {
	#[test]
	fn plain_websockets_only_to_this_machine() {
		for ok in [
			"ws://127.0.0.1:9944",
			"ws://localhost:9944",
			"ws://[::1]:9944",
			"wss://rpc.example:443",
		] {
			assert!(super::secure_enough(ok), "{ok}");
		}
		for bad in [
			"ws://10.0.0.5:9944",
			"ws://rpc.example",
			"ws://127.0.0.1.evil:9944",
			"http://127.0.0.1:9944",
		] {
			assert!(!super::secure_enough(bad), "{bad}");
		}
	}
}
