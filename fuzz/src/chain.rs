//! The development chain, natively: blocks built as a block author builds them (Aura's slot in
//! the digest, the timestamp inherent first, every pallet's hooks), extrinsics applied through
//! `frame-executive`'s own steps, and one refused by the pool or the block rolled back.

use codec::Encode;
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::IsInherent,
};
use gpux_runtime::{
	genesis_config_presets, AccountId, Executive, Header, Runtime, RuntimeCall,
	RuntimeGenesisConfig, System, TxExtension, UncheckedExtrinsic, SLOT_DURATION,
};
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::{sr25519, H256};
use sp_runtime::{
	generic::Era,
	traits::{Applyable, Checkable, Header as _},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	BuildStorage, Digest, DigestItem, DispatchError, MultiAddress, MultiSignature,
};

/// What became of an extrinsic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
	/// In the block; the call succeeded.
	Ok,
	/// In the block (fees paid); the call returned this error.
	Failed(DispatchError),
	/// Not in the block: the pool or the block author would have refused it.
	Refused(TransactionValidityError),
}

/// A chain under test: its state, and where the next block goes.
pub struct Chain {
	ext: sp_io::TestExternalities,
	parent_hash: H256,
	number: u32,
	slot: u64,
}

/// Applies `patch` over `base` the way the node's chain-spec builder does.
fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				json_merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

impl Chain {
	/// The `--dev` chain's genesis: Alice the validator, verifier and sudo key; Ferdie's demo
	/// machine 0 with Eve's worker key; every well-known account endowed.
	pub fn dev() -> Self {
		let patch =
			genesis_config_presets::get_preset(&sp_genesis_builder::DEV_RUNTIME_PRESET.into())
				.expect("the dev preset exists");
		let mut config =
			serde_json::to_value(RuntimeGenesisConfig::default()).expect("genesis serializes");
		json_merge(&mut config, serde_json::from_slice(&patch).expect("the preset is JSON"));
		let config: RuntimeGenesisConfig =
			serde_json::from_value(config).expect("the preset fits the genesis config");
		let storage = config.build_storage().expect("the dev genesis builds");
		let mut ext = sp_io::TestExternalities::new(storage);
		let parent_hash = ext.execute_with(|| System::block_hash(0));
		Self { ext, parent_hash, number: 0, slot: 1_000 }
	}

	/// A chain from a [`Chain::snapshot`]: the state as it was, with this build's runtime (the
	/// snapshot holds no code). The next block follows the snapshot's last one.
	pub fn from_snapshot(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
		let storage = sp_core::storage::Storage {
			top: pairs.into_iter().collect(),
			children_default: Default::default(),
		};
		let mut ext = sp_io::TestExternalities::new(storage);
		let (number, slot) = ext.execute_with(|| {
			(System::block_number(), u64::from(pallet_aura::CurrentSlot::<Runtime>::get()))
		});
		let parent_hash = next_parent(ext.execute_with(System::parent_hash), number);
		Self { ext, parent_hash, number, slot }
	}

	/// Every key and value of the state (the runtime's code left out), in key order.
	pub fn snapshot(&mut self) -> Vec<(Vec<u8>, Vec<u8>)> {
		self.ext.execute_with(|| {
			let mut pairs = Vec::new();
			let mut key = Vec::new();
			while let Some(next) = sp_io::storage::next_key(&key) {
				if next.as_slice() != sp_core::storage::well_known_keys::CODE {
					let value = sp_io::storage::get(&next).map(|v| v.to_vec()).unwrap_or_default();
					pairs.push((next.clone(), value));
				}
				key = next;
			}
			pairs
		})
	}

	/// The number of the last block built.
	pub fn number(&self) -> u32 {
		self.number
	}

	/// Runs `f` on the chain's state as it is after the last block.
	pub fn read<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.execute_with(f)
	}

	/// Builds one block: initialisation and the timestamp inherent, then `body` (which applies
	/// extrinsics with [`apply`]), then finalisation; then `check`, on the finished block's state.
	/// Returns what `body` and `check` return.
	pub fn block<B, C>(&mut self, body: impl FnOnce() -> B, check: impl FnOnce() -> C) -> (B, C) {
		self.number += 1;
		self.slot += 1;
		let (number, slot, parent_hash) = (self.number, self.slot, self.parent_hash);
		let out = self.ext.execute_with(|| {
			let digest = Digest {
				logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())],
			};
			let header = Header::new(number, H256::zero(), H256::zero(), parent_hash, digest);
			Executive::initialize_block(&header);
			let now = slot.saturating_mul(SLOT_DURATION);
			let inherent =
				UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
					now,
				}));
			assert_eq!(apply(inherent), Applied::Ok, "the timestamp inherent applies");
			let body = body();
			Executive::finalize_block();
			let check = check();
			(body, check)
		});
		// Not the header's hash: that hashes the extrinsics, whose sr25519 signatures (the
		// workers' statements) are randomised, and the runtime draws challenges from the parent
		// hash. Chaining the last hash with the number keeps a seed's run the same every time.
		self.parent_hash = next_parent(self.parent_hash, number);
		// Keeps the overlay (and with it each block's root computation) small.
		self.ext.commit_all().expect("the in-memory backend takes every change");
		out
	}
}

/// The parent hash block `number + 1` gets: a function of the last one and `number` only.
fn next_parent(last: H256, number: u32) -> H256 {
	H256(sp_io::hashing::blake2_256(&(last, number).encode()))
}

/// The extensions a wallet sends: immortal, no tip, no metadata hash.
pub fn extensions(nonce: u32) -> TxExtension {
	gpux_runtime::tx_extension(nonce, Era::Immortal)
}

/// `who`'s signed extrinsic of `call` at its next nonce. The signature is not made (see
/// [`apply`]): sr25519 is not ours to fuzz, and signing would be most of the run's time.
pub fn signed(who: &AccountId, call: RuntimeCall) -> UncheckedExtrinsic {
	let nonce = System::account_nonce(who);
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(who.clone()),
		MultiSignature::Sr25519(sr25519::Signature::from_raw([0; 64])),
		extensions(nonce),
	)
}

/// Applies `uxt` as an honest author does (`Executive::validate_transaction`'s check in the
/// pool, then `Executive::apply_extrinsic`), except that a signed extrinsic's signature is taken
/// as valid (the unsigned calls' own signatures, which our pallets check, are checked). Refused
/// extrinsics leave no trace, as the block author rolls them back.
pub fn apply(uxt: UncheckedExtrinsic) -> Applied {
	let encoded = uxt.encode();
	let len = encoded.len();
	let is_inherent = <Runtime as IsInherent<UncheckedExtrinsic>>::is_inherent(&uxt);
	sp_io::storage::start_transaction();
	let outcome: Result<Result<(), DispatchError>, TransactionValidityError> = (|| {
		let context = frame_system::ChainContext::<Runtime>::default();
		let checked = uxt.unchecked_into_checked_i_know_what_i_am_doing(&context)?;
		let info = checked.get_dispatch_info();
		// The pool's one check that applying does not repeat (`Executive::validate_transaction`).
		if info.class == DispatchClass::Mandatory && !is_inherent {
			return Err(InvalidTransaction::MandatoryValidation.into());
		}
		if !is_inherent && !System::inherents_applied() {
			Executive::inherents_applied();
		}
		System::note_extrinsic(encoded);
		let result = Applyable::apply::<Runtime>(checked, &info, len)?;
		// A block with a failed mandatory call is invalid: nothing of it stays.
		if result.is_err() && info.class == DispatchClass::Mandatory {
			return Err(InvalidTransaction::BadMandatory.into());
		}
		System::note_applied_extrinsic(&result, info);
		Ok(result.map(|_| ()).map_err(|e| e.error))
	})();
	match outcome {
		Ok(result) => {
			sp_io::storage::commit_transaction();
			match result {
				Ok(()) => Applied::Ok,
				Err(error) => Applied::Failed(error),
			}
		},
		Err(refused) => {
			sp_io::storage::rollback_transaction();
			Applied::Refused(refused)
		},
	}
}
