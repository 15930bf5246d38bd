//! Signed extrinsics in the runtime's own types, and what became of them in their block.

use codec::Encode;
use frame_system::{EventRecord, Phase};
use gpux_primitives::Balance;
use gpux_runtime::{RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{generic::Era, MultiAddress, MultiSignature};

use crate::{
	error::Error,
	metadata::ErrorNames,
	rpc::{Chain, Progress},
};

/// How many blocks a client's transaction stays valid (a power of two): once its era ends no
/// block can take it, so a client that gave up waiting knows when sending again is safe.
pub const MORTALITY: u64 = 64;

/// A signed, immortal extrinsic from `signer`, tip 0, for the chain with this genesis hash and
/// runtime versions `(spec_version, transaction_version)` (the worker's registration).
pub fn signed(
	call: RuntimeCall,
	signer: &sr25519::Pair,
	nonce: u32,
	genesis: [u8; 32],
	versions: (u32, u32),
) -> Vec<u8> {
	signed_in_era(call, signer, nonce, genesis, versions, Era::Immortal, genesis)
}

/// A signed extrinsic valid in `era`, whose first block (or genesis, for an immortal one) has
/// the hash `checkpoint`.
pub fn signed_in_era(
	call: RuntimeCall,
	signer: &sr25519::Pair,
	nonce: u32,
	genesis: [u8; 32],
	(spec_version, tx_version): (u32, u32),
	era: Era,
	checkpoint: [u8; 32],
) -> Vec<u8> {
	let extension = gpux_runtime::tx_extension(nonce, era);
	let implicit =
		((), spec_version, tx_version, H256(genesis), H256(checkpoint), (), (), (), None, ());
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let account = sp_runtime::AccountId32::from(signer.public());
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(account),
		MultiSignature::Sr25519(signature),
		extension,
	)
	.encode()
}

/// `System::Events`' storage key (its type alias is private to frame-system).
pub fn events_key() -> Vec<u8> {
	[sp_crypto_hashing::twox_128(b"System"), sp_crypto_hashing::twox_128(b"Events")].concat()
}

/// A transaction's block and the events its call deposited there.
#[derive(Debug)]
pub struct Included {
	pub block: [u8; 32],
	pub number: u32,
	pub events: Vec<RuntimeEvent>,
}

/// A signed extrinsic ready to send, and what it will cost.
pub struct Prepared {
	pub extrinsic: Vec<u8>,
	/// The fee the chain will charge (`TransactionPaymentApi_query_info`).
	pub fee: Balance,
	/// The last block that can include it.
	pub valid_until: u32,
}

/// What `TransactionPaymentApi_query_info` answers (`RuntimeDispatchInfo`): its fields in order.
#[derive(codec::Decode)]
struct FeeInfo {
	_weight: sp_weights::Weight,
	_class: u8,
	partial_fee: Balance,
}

/// Signs `call` as `signer` for the runtime `versions` (`(spec_version, transaction_version)`, as
/// the caller read and checked them) with the next nonce, valid for [`MORTALITY`] blocks from the
/// best block, and asks the node what it will cost.
pub async fn prepare(
	chain: &Chain,
	call: RuntimeCall,
	signer: &sr25519::Pair,
	versions: (u32, u32),
) -> Result<Prepared, Error> {
	let account = sp_runtime::AccountId32::from(signer.public());
	let nonce = chain.next_nonce(&crate::format::address(&account)).await?;
	let best = chain.best_number().await?;
	let checkpoint =
		chain.block_hash(best).await?.ok_or_else(|| chain.error("the best block has no hash"))?;
	let era = Era::mortal(MORTALITY, u64::from(best));
	let valid_until =
		u32::try_from(era.death(u64::from(best)).saturating_sub(1)).unwrap_or(u32::MAX);
	let extrinsic = signed_in_era(call, signer, nonce, chain.genesis, versions, era, checkpoint);
	let args = [extrinsic.clone(), (extrinsic.len() as u32).encode()].concat();
	let fee =
		chain.state_call::<FeeInfo>("TransactionPaymentApi_query_info", &args).await?.partial_fee;
	Ok(Prepared { extrinsic, fee, valid_until })
}

/// Sends a prepared extrinsic and follows it into a block, reporting `progress`; resolves with
/// its events, or fails with the runtime's error by name when its call failed. Once the pool
/// has it, an error that leaves its fate open is [`Error::Unconfirmed`].
pub async fn submit(
	chain: &Chain,
	prepared: &Prepared,
	progress: impl FnMut(Progress),
) -> Result<Included, Error> {
	let extrinsic = &prepared.extrinsic;
	let unconfirmed = |why: Error| {
		match why {
		Error::Refused(_) | Error::Failed(_) => why,
		why => Error::Unconfirmed(format!(
			"{why}: the transaction may still be in a block up to #{}; check (e.g. `gpux leases`) before sending it again",
			prepared.valid_until
		)),
	}
	};
	let block = chain.submit_and_watch(extrinsic, progress).await.map_err(unconfirmed)?;
	let in_block = |why: Error| {
		Error::Unconfirmed(format!(
			"the transaction is in block 0x{}, but its outcome could not be read ({why}): check before sending it again",
			hex::encode(block)
		))
	};
	let number = chain.block_number(block).await.map_err(in_block)?;
	let index = chain
		.block_extrinsics(block)
		.await
		.map_err(in_block)?
		.iter()
		.position(|x| x == extrinsic)
		.ok_or_else(|| {
			in_block(chain.error("the transaction is not in the block the node named"))
		})?;
	// Events decode with this build's types: a runtime upgrade that changed them makes this fail
	// (the transaction is in, its events unread).
	let records: Vec<EventRecord<RuntimeEvent, H256>> =
		chain.storage_at(&events_key(), Some(block)).await.map_err(in_block)?.unwrap_or_default();
	let events: Vec<RuntimeEvent> = records
		.into_iter()
		.filter(|r| r.phase == Phase::ApplyExtrinsic(index as u32))
		.map(|r| r.event)
		.collect();
	for event in &events {
		if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
			dispatch_error, ..
		}) = event
		{
			let names = ErrorNames::of(chain).await.map_err(in_block)?;
			return Err(Error::Failed(names.explain(dispatch_error)));
		}
	}
	Ok(Included { block, number, events })
}
