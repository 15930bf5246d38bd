//! The chain as `gpux` reads and writes it: runtime APIs, storage, and transactions signed with
//! the runtime's own types.

use codec::{Decode, Encode};
use frame_support::storage::generator::{StorageDoubleMap, StorageMap};
use gpux_client::{rpc::Chain, tx::Included};
use gpux_primitives::{AccountId, Balance, LeaseId, MachineId};
use gpux_runtime::{Runtime, RuntimeCall, RuntimeEvent};

use crate::{account, output::Out, Error, KeyArgs};

pub type Lease = pallet_leases::LeaseRecordOf<Runtime>;
pub type Attested = pallet_attestation::LeaseAttestationOf<Runtime>;
pub type Machine = pallet_marketplace::MachineRecordOf<Runtime>;
pub type Listing = pallet_marketplace::runtime_api::ListingView<AccountId, u32>;

/// Connects to the node at `url`.
pub async fn connect(url: &str) -> Result<Chain, Error> {
	Ok(Chain::connect(url).await?)
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
	loop {
		let keys = chain.keys_paged(&prefix, 256, start.as_deref()).await?;
		for key in &keys {
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
}

/// The open leases of `machine` (`MachineLeases`).
pub async fn machine_leases(chain: &Chain, machine: MachineId) -> Result<Vec<LeaseId>, Error> {
	let key = pallet_leases::MachineLeases::<Runtime>::storage_map_final_key(machine);
	Ok(chain.storage::<Vec<LeaseId>>(&key).await?.unwrap_or_default())
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

/// Signs `call` with the account, sends it and follows it into a block, with progress on
/// stderr. Refuses to sign for a runtime whose transactions this build would misencode.
pub async fn send(
	chain: &Chain,
	key: &KeyArgs,
	call: RuntimeCall,
	out: &Out,
) -> Result<Included, Error> {
	let signer = account::signer(key)?;
	let (_, tx_version) = chain.runtime_version().await?;
	let built = gpux_runtime::VERSION.transaction_version;
	if tx_version != built {
		return Err(Error::Input(format!(
			"the chain's transactions are version {tx_version}, this gpux encodes version {built}: install the gpux of the chain's release"
		)));
	}
	out.progress("signing…");
	let result = gpux_client::tx::send(chain, call, &signer, |p| out.pool(p)).await;
	match &result {
		Ok(included) => out.done(&format!("in block #{}", included.number)),
		Err(_) => out.done("refused"),
	}
	Ok(result?)
}

/// The first event of `events` that `pick` recognises.
pub fn find<T>(events: &[RuntimeEvent], pick: impl Fn(&RuntimeEvent) -> Option<T>) -> Option<T> {
	events.iter().find_map(pick)
}
