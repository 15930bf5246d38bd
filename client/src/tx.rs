//! Signed extrinsics in the runtime's own types, and what became of them in their block.

use codec::Encode;
use frame_system::{EventRecord, Phase};
use gpux_runtime::{RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{generic::Era, MultiAddress, MultiSignature};

use crate::{
	error::Error,
	metadata::ErrorNames,
	rpc::{Chain, Progress},
};

/// A signed, immortal extrinsic from `signer`, tip 0, for the chain with this genesis hash and
/// runtime versions `(spec_version, transaction_version)`.
pub fn signed(
	call: RuntimeCall,
	signer: &sr25519::Pair,
	nonce: u32,
	genesis: [u8; 32],
	(spec_version, tx_version): (u32, u32),
) -> Vec<u8> {
	let extension = gpux_runtime::tx_extension(nonce, Era::Immortal);
	let genesis = H256(genesis);
	let implicit = ((), spec_version, tx_version, genesis, genesis, (), (), (), None, ());
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

/// Signs `call` as `signer`, submits it and follows it into a block, reporting `progress`;
/// resolves with its events, or fails with the runtime's error by name when its call failed.
pub async fn send(
	chain: &Chain,
	call: RuntimeCall,
	signer: &sr25519::Pair,
	progress: impl FnMut(Progress),
) -> Result<Included, Error> {
	let account = sp_runtime::AccountId32::from(signer.public());
	let nonce = chain.next_nonce(&crate::format::address(&account)).await?;
	let versions = chain.runtime_version().await?;
	let extrinsic = signed(call, signer, nonce, chain.genesis, versions);
	let block = chain.submit_and_watch(&extrinsic, progress).await?;
	let number = chain.block_number(block).await?;
	let index = chain
		.block_extrinsics(block)
		.await?
		.iter()
		.position(|x| *x == extrinsic)
		.ok_or_else(|| chain.error("the transaction is not in the block the node named"))?;
	let records: Vec<EventRecord<RuntimeEvent, H256>> =
		chain.storage_at(&events_key(), Some(block)).await?.unwrap_or_default();
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
			let names = ErrorNames::of(chain).await?;
			return Err(Error::Failed(names.explain(dispatch_error)));
		}
	}
	Ok(Included { block, number, events })
}
