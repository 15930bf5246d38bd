//! The transaction pool, behind a door that decodes every submitted extrinsic with the
//! runtime's own types before the runtime sees it.
//!
//! The runtime API that validates a transaction decodes its argument inside wasm, and a call
//! that does not decode (a field longer than its bound, say a 5,000-byte SSH key in
//! `leases.rent`) makes it panic: the submitter got `Execution aborted due to trap: wasm
//! unreachable` with a wasm backtrace, and the node logged an ERROR, which reads as a crash.
//! Decoded here first, natively, such input is refused with the codec's own words
//! (`the extrinsic does not decode with this runtime's types: …`), and the runtime never runs.
//! The check is made only while the chain runs the runtime this node was built with (same
//! `spec_name` and `spec_version`): after an upgrade the node's types may be older than the
//! chain's, and the runtime alone decides.

use std::{
	collections::{HashMap, HashSet, VecDeque},
	pin::Pin,
	sync::{Arc, Mutex},
};

use gpux_runtime::{opaque::Block, UncheckedExtrinsic};
use sc_transaction_pool::TransactionPoolHandle;
use sc_transaction_pool_api::{
	error::{Error as PoolError, IntoPoolError},
	ChainEvent, ImportNotificationStream, LocalTransactionFor, LocalTransactionPool,
	MaintainedTransactionPool, PoolStatus, ReadyTransactions, TransactionFor, TransactionPool,
	TransactionSource, TransactionStatusStreamFor, TxHash, TxInvalidityReportMap,
};
use sp_api::CallContext;
use sp_runtime::codec::{DecodeLimit, Encode};
use sp_runtime::traits::Block as BlockT;

use crate::service::FullClient;

type Inner = TransactionPoolHandle<Block, FullClient>;
type InnerError = <Inner as TransactionPool>::Error;
type BlockHash = <Block as BlockT>::Hash;

/// The pool's own error, or the door's refusal. The RPC answers a refusal with both
/// (`Verification Error: <Display>`, data `<Debug>`): `Debug` is only its last cause, so the
/// reason is not said twice over.
pub enum Error {
	Pool(InnerError),
	/// The extrinsic does not decode with the runtime's types: why, in one line.
	Undecodable(String),
}

impl std::fmt::Display for Error {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Error::Pool(e) => e.fmt(f),
			Error::Undecodable(why) => f.write_str(why),
		}
	}
}

impl std::fmt::Debug for Error {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Error::Pool(e) => e.fmt(f),
			Error::Undecodable(why) => f.write_str(why.rsplit(": ").next().unwrap_or(why)),
		}
	}
}

impl std::error::Error for Error {}

impl From<PoolError> for Error {
	fn from(e: PoolError) -> Self {
		Error::Pool(e.into())
	}
}

impl IntoPoolError for Error {
	fn into_pool_error(self) -> Result<PoolError, Self> {
		match self {
			Error::Pool(e) => e.into_pool_error().map_err(Error::Pool),
			refused => Err(refused),
		}
	}
}

/// Refused extrinsics remembered, so a repeat is turned away as banned without decoding.
const REFUSED_KEPT: usize = 1_024;

/// The node's transaction pool with the decode check in front (module docs).
pub struct CheckedPool {
	inner: Inner,
	client: Arc<FullClient>,
	/// Whether the runtime at a block is this node's: the last block asked about.
	ours_at: Mutex<Option<(BlockHash, bool)>>,
	/// Hashes of refused extrinsics, oldest first (at most `REFUSED_KEPT`).
	refused: Mutex<(VecDeque<TxHash<Inner>>, HashSet<TxHash<Inner>>)>,
}

impl CheckedPool {
	pub fn new(inner: Inner, client: Arc<FullClient>) -> Self {
		Self { inner, client, ours_at: Mutex::default(), refused: Mutex::default() }
	}

	/// Whether the chain runs this node's runtime at `at` (same name, spec and transaction
	/// versions), asked of the client once per block.
	fn ours_at(&self, at: BlockHash) -> bool {
		let mut cached = self.ours_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if let Some((block, ours)) = *cached {
			if block == at {
				return ours;
			}
		}
		let node = gpux_runtime::VERSION;
		let ours = self.client.runtime_version_at(at, CallContext::Offchain).is_ok_and(|v| {
			v.spec_name == node.spec_name
				&& v.spec_version == node.spec_version
				&& v.transaction_version == node.transaction_version
		});
		*cached = Some((at, ours));
		ours
	}

	/// Refuses `xt` if the runtime at `at` is this node's and `xt` does not decode with its
	/// types; one refused before is refused as banned (a peer sending it again is penalised,
	/// as the pool would have), without decoding it again.
	fn check(&self, at: BlockHash, xt: &TransactionFor<Self>) -> Result<(), Error> {
		if !self.ours_at(at) {
			return Ok(());
		}
		let hash = self.inner.hash_of(xt);
		let mut refused = self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if refused.1.contains(&hash) {
			return Err(PoolError::TemporarilyBanned.into());
		}
		let Some(why) = undecodable(&xt.encode()) else { return Ok(()) };
		log::debug!(target: "txpool", "refused at the door: {why}");
		if refused.0.len() >= REFUSED_KEPT {
			if let Some(oldest) = refused.0.pop_front() {
				refused.1.remove(&oldest);
			}
		}
		refused.0.push_back(hash);
		refused.1.insert(hash);
		Err(Error::Undecodable(why))
	}
}

/// How deep calls may nest (`utility.batch` in `utility.batch` …): the runtime's own bound when
/// it applies an extrinsic (`frame_support::MAX_EXTRINSIC_DEPTH`). Decoding here is native and
/// recursive, so without it a few megabytes of nested batches would overflow the node's stack.
const MAX_EXTRINSIC_DEPTH: u32 = 256;

/// Why `encoded` (an extrinsic as submitted) does not decode with the runtime's types, in one
/// line; `None` if it does. As the runtime decodes a block's extrinsics: whole, and no deeper
/// than `MAX_EXTRINSIC_DEPTH`.
pub fn undecodable(encoded: &[u8]) -> Option<String> {
	let error =
		UncheckedExtrinsic::decode_all_with_depth_limit(MAX_EXTRINSIC_DEPTH, &mut &encoded[..])
			.err()?;
	// The codec's error chains its causes over several lines: one line reads better in a
	// wallet's message.
	let causes: Vec<String> = error
		.to_string()
		.lines()
		.map(|line| line.trim().trim_end_matches(':').to_string())
		.filter(|line| !line.is_empty())
		.collect();
	// Deep nesting chains hundreds of causes: the first two and the last say enough.
	let causes = match causes.as_slice() {
		[first, second, .., last] if causes.len() > 3 => {
			vec![first.clone(), second.clone(), "…".into(), last.clone()]
		},
		_ => causes,
	};
	Some(format!("the extrinsic does not decode with this runtime's types: {}", causes.join(": ")))
}

#[jsonrpsee::core::async_trait]
impl TransactionPool for CheckedPool {
	type Block = <Inner as TransactionPool>::Block;
	type Hash = <Inner as TransactionPool>::Hash;
	type InPoolTransaction = <Inner as TransactionPool>::InPoolTransaction;
	type Error = Error;

	async fn submit_at(
		&self,
		at: BlockHash,
		source: TransactionSource,
		xts: Vec<TransactionFor<Self>>,
	) -> Result<Vec<Result<TxHash<Self>, Self::Error>>, Self::Error> {
		// The decodable ones go in; each answer stays in its transaction's place.
		let checked: Vec<Result<(), Error>> = xts.iter().map(|xt| self.check(at, xt)).collect();
		let passed: Vec<_> = xts
			.into_iter()
			.zip(&checked)
			.filter(|(_, check)| check.is_ok())
			.map(|(xt, _)| xt)
			.collect();
		let mut answers =
			self.inner.submit_at(at, source, passed).await.map_err(Error::Pool)?.into_iter();
		Ok(checked
			.into_iter()
			.map(|check| match check {
				Ok(()) => match answers.next() {
					Some(answer) => answer.map_err(Error::Pool),
					None => Err(PoolError::ImmediatelyDropped.into()),
				},
				Err(refused) => Err(refused),
			})
			.collect())
	}

	async fn submit_one(
		&self,
		at: BlockHash,
		source: TransactionSource,
		xt: TransactionFor<Self>,
	) -> Result<TxHash<Self>, Self::Error> {
		self.check(at, &xt)?;
		self.inner.submit_one(at, source, xt).await.map_err(Error::Pool)
	}

	async fn submit_and_watch(
		&self,
		at: BlockHash,
		source: TransactionSource,
		xt: TransactionFor<Self>,
	) -> Result<Pin<Box<TransactionStatusStreamFor<Self>>>, Self::Error> {
		self.check(at, &xt)?;
		self.inner.submit_and_watch(at, source, xt).await.map_err(Error::Pool)
	}

	async fn ready_at(
		&self,
		at: BlockHash,
	) -> Box<dyn ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send> {
		self.inner.ready_at(at).await
	}

	fn ready(&self) -> Box<dyn ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send> {
		self.inner.ready()
	}

	async fn report_invalid(
		&self,
		at: Option<BlockHash>,
		invalid_tx_errors: TxInvalidityReportMap<TxHash<Self>>,
	) -> Vec<Arc<Self::InPoolTransaction>> {
		self.inner.report_invalid(at, invalid_tx_errors).await
	}

	fn futures(&self) -> Vec<Self::InPoolTransaction> {
		self.inner.futures()
	}

	fn status(&self) -> PoolStatus {
		self.inner.status()
	}

	fn import_notification_stream(&self) -> ImportNotificationStream<TxHash<Self>> {
		self.inner.import_notification_stream()
	}

	fn on_broadcasted(&self, propagations: HashMap<TxHash<Self>, Vec<String>>) {
		self.inner.on_broadcasted(propagations)
	}

	fn hash_of(&self, xt: &TransactionFor<Self>) -> TxHash<Self> {
		self.inner.hash_of(xt)
	}

	fn ready_transaction(&self, hash: &TxHash<Self>) -> Option<Arc<Self::InPoolTransaction>> {
		self.inner.ready_transaction(hash)
	}

	async fn ready_at_with_timeout(
		&self,
		at: BlockHash,
		timeout: std::time::Duration,
	) -> Box<dyn ReadyTransactions<Item = Arc<Self::InPoolTransaction>> + Send> {
		self.inner.ready_at_with_timeout(at, timeout).await
	}
}

#[jsonrpsee::core::async_trait]
impl MaintainedTransactionPool for CheckedPool {
	async fn maintain(&self, event: ChainEvent<Self::Block>) {
		self.inner.maintain(event).await;
	}
}

/// Offchain workers submit through here: their calls are built with the runtime's own types.
impl LocalTransactionPool for CheckedPool {
	type Block = <Inner as LocalTransactionPool>::Block;
	type Hash = <Inner as LocalTransactionPool>::Hash;
	type Error = <Inner as LocalTransactionPool>::Error;

	fn submit_local(
		&self,
		at: BlockHash,
		xt: LocalTransactionFor<Self>,
	) -> Result<Self::Hash, Self::Error> {
		self.inner.submit_local(at, xt)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use gpux_runtime::RuntimeCall;
	use sp_runtime::codec::{Compact, Decode};

	/// A bare extrinsic carrying the encoded `call`.
	fn bare(call: &[u8]) -> Vec<u8> {
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let encoded = UncheckedExtrinsic::new_bare(remark).encode();
		let mut rest = &encoded[..];
		let _ = Compact::<u32>::decode(&mut rest).unwrap();
		let mut body = vec![rest[0]];
		body.extend_from_slice(call);
		body.encode()
	}

	/// `attestation.dispute(1, reason)` (pallet 13, call 6), `reason` as long as given.
	fn dispute(reason_len: usize) -> Vec<u8> {
		let mut call = vec![13u8, 6];
		1u64.encode_to(&mut call);
		vec![b'x'; reason_len].encode_to(&mut call);
		bare(&call)
	}

	#[test]
	fn an_oversized_bounded_field_is_refused_by_name() {
		assert_eq!(undecodable(&dispute(5)), None);
		let why = undecodable(&dispute(5_000)).unwrap();
		assert!(why.starts_with("the extrinsic does not decode with this runtime's types: "));
		assert!(why.contains("BoundedVec exceeds its limit"), "{why}");
		assert!(!why.contains('\n'), "{why}");
		// Not an extrinsic at all.
		assert!(undecodable(&[0x10, 1, 2, 3, 4]).is_some());
	}

	/// `utility.batch([utility.batch([… remark …])])`, `depth` batches deep (pallet 26, call 0).
	fn nested_batches(depth: usize) -> Vec<u8> {
		// Each level: the pallet, the call, a one-call vector; the remark at the bottom.
		let mut call = [26u8, 0, Compact(1u32).encode()[0]].repeat(depth);
		call.extend_from_slice(&[0, 0, 0]); // system.remark(empty)
		bare(&call)
	}

	#[test]
	fn calls_nested_past_the_runtime_s_depth_are_refused_without_recursing_further() {
		assert_eq!(undecodable(&nested_batches(2)), None);
		// A million levels (3 MB): decoded without a bound this would overflow the stack.
		let why = undecodable(&nested_batches(1_000_000)).unwrap();
		assert!(why.contains("depth"), "{why}");
		assert!(why.len() < 1_000, "{} bytes", why.len());
	}
}
