//! The node connection: JSON-RPC over WebSocket, with reconnection and backoff, storage and
//! runtime-API reads, and extrinsics submitted and followed into a block.

use std::time::Duration;

use codec::Decode;
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use tokio::sync::watch;

use crate::error::Error;

/// Backoff between reconnection attempts: doubling from 1 s up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How long a client follows a submitted transaction, in all, before it gives up on it.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to the node.
pub struct Chain {
	client: WsClient,
	pub url: String,
	/// The chain's genesis hash: part of every signed statement.
	pub genesis: [u8; 32],
}

/// A new block, as a client needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
	pub number: u32,
}

/// What the pool said about an extrinsic.
#[derive(Debug)]
pub enum Submitted {
	Accepted,
	/// Refused with the pallet error of this index (`InvalidTransaction::Custom`).
	Refused(u8),
	/// Refused for another reason (the message as the node gave it).
	Invalid(String),
}

/// How far a followed transaction has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
	/// In the node's pool, ready for a block (or waiting for an earlier nonce).
	Pooled,
	/// Sent to the node's peers.
	Broadcast,
}

impl Chain {
	/// Connects once.
	pub async fn connect(url: &str) -> Result<Self, Error> {
		let client = WsClientBuilder::default()
			.request_timeout(Duration::from_secs(30))
			.build(url)
			.await
			.map_err(|e| Error::Node(url.to_string(), e.to_string()))?;
		let mut chain = Self { client, url: url.to_string(), genesis: [0; 32] };
		chain.genesis = chain.block_hash(0).await?.ok_or_else(|| {
			Error::Node(url.to_string(), "the node has no genesis block".to_string())
		})?;
		Ok(chain)
	}

	/// Connects, retrying with backoff until it succeeds or `shutdown` turns true.
	pub async fn connect_with_backoff(
		url: &str,
		shutdown: &mut watch::Receiver<bool>,
	) -> Option<Self> {
		let mut wait = Duration::from_secs(1);
		loop {
			match Self::connect(url).await {
				Ok(chain) => return Some(chain),
				Err(e) => tracing::warn!("{e}; retrying in {} s", wait.as_secs()),
			}
			tokio::select! {
				_ = tokio::time::sleep(wait) => {},
				_ = shutdown.wait_for(|stop| *stop) => return None,
			}
			wait = (wait * 2).min(MAX_BACKOFF);
		}
	}

	/// An error of this node.
	pub fn error(&self, message: impl Into<String>) -> Error {
		Error::Node(self.url.clone(), message.into())
	}

	async fn call<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: jsonrpsee::core::params::ArrayParams,
	) -> Result<R, Error> {
		self.client.request(method, params).await.map_err(|e| self.error(format!("{method}: {e}")))
	}

	/// The hash of block `number`, if the node has it.
	pub async fn block_hash(&self, number: u32) -> Result<Option<[u8; 32]>, Error> {
		let hash: Option<String> = self.call("chain_getBlockHash", rpc_params![number]).await?;
		hash.map(|h| parse_hash(&h).ok_or_else(|| self.error(format!("bad hash {h}")))).transpose()
	}

	/// The value at `key` in the best block's state, decoded.
	pub async fn storage<T: Decode>(&self, key: &[u8]) -> Result<Option<T>, Error> {
		self.storage_at(key, None).await
	}

	/// The value at `key` in the state of block `at` (the best block if `None`), decoded.
	pub async fn storage_at<T: Decode>(
		&self,
		key: &[u8],
		at: Option<[u8; 32]>,
	) -> Result<Option<T>, Error> {
		let key = format!("0x{}", hex::encode(key));
		let at = at.map(|hash| format!("0x{}", hex::encode(hash)));
		let value: Option<String> = self.call("state_getStorage", rpc_params![key, at]).await?;
		let Some(value) = value else { return Ok(None) };
		let bytes = hex::decode(value.trim_start_matches("0x"))
			.map_err(|e| self.error(format!("storage value: {e}")))?;
		T::decode(&mut &bytes[..])
			.map(Some)
			.map_err(|e| self.error(format!("storage value does not decode: {e}")))
	}

	/// (spec_version, transaction_version) of the runtime now.
	pub async fn runtime_version(&self) -> Result<(u32, u32), Error> {
		let version: Value = self.call("state_getRuntimeVersion", rpc_params![]).await?;
		let field = |name| version.get(name).and_then(Value::as_u64).map(|v| v as u32);
		field("specVersion")
			.zip(field("transactionVersion"))
			.ok_or_else(|| self.error("bad runtime version"))
	}

	/// The best block's number.
	pub async fn best_number(&self) -> Result<u32, Error> {
		let header: Value = self.call("chain_getHeader", rpc_params![]).await?;
		header_number(&header).ok_or_else(|| self.error("bad header"))
	}

	/// The runtime's metadata, SCALE-encoded (`RuntimeMetadataPrefixed`).
	pub async fn metadata(&self) -> Result<Vec<u8>, Error> {
		let hex: String = self.call("state_getMetadata", rpc_params![]).await?;
		hex::decode(hex.trim_start_matches("0x")).map_err(|e| self.error(format!("metadata: {e}")))
	}

	/// The runtime version now, then each time a block enacts a new runtime.
	pub async fn subscribe_runtime_version(&self) -> Result<Subscription<Value>, Error> {
		self.client
			.subscribe(
				"state_subscribeRuntimeVersion",
				rpc_params![],
				"state_unsubscribeRuntimeVersion",
			)
			.await
			.map_err(|e| self.error(format!("state_subscribeRuntimeVersion: {e}")))
	}

	/// The next nonce of `account` (SS58), counting the pool.
	pub async fn next_nonce(&self, account: &str) -> Result<u32, Error> {
		self.call("system_accountNextIndex", rpc_params![account]).await
	}

	/// Hands an encoded extrinsic to the node's pool.
	pub async fn submit(&self, extrinsic: &[u8]) -> Result<Submitted, Error> {
		let hex = format!("0x{}", hex::encode(extrinsic));
		let result: Result<String, _> =
			self.client.request("author_submitExtrinsic", rpc_params![hex]).await;
		match result {
			Ok(_) => Ok(Submitted::Accepted),
			Err(jsonrpsee::core::ClientError::Call(e)) => {
				let data = e.data().map(|d| d.get().to_string()).unwrap_or_default();
				Ok(match parse_custom(&data) {
					Some(code) => Submitted::Refused(code),
					None => Submitted::Invalid(format!("{} {data}", e.message())),
				})
			},
			Err(e) => Err(self.error(format!("author_submitExtrinsic: {e}"))),
		}
	}

	/// Calls the runtime API function `method` (e.g. `MarketplaceApi_listings`) with its
	/// SCALE-encoded arguments in the best block's state; decodes what it returns.
	pub async fn state_call<T: Decode>(&self, method: &str, args: &[u8]) -> Result<T, Error> {
		let data = format!("0x{}", hex::encode(args));
		let answer: String = self.call("state_call", rpc_params![method, data]).await?;
		let bytes = hex::decode(answer.trim_start_matches("0x"))
			.map_err(|e| self.error(format!("{method}: {e}")))?;
		T::decode(&mut &bytes[..])
			.map_err(|e| self.error(format!("{method}: the answer does not decode: {e}")))
	}

	/// Up to `count` storage keys under `prefix` after `start` (all of them, page by page, in
	/// the caller's loop), in the best block's state.
	pub async fn keys_paged(
		&self,
		prefix: &[u8],
		count: u32,
		start: Option<&[u8]>,
	) -> Result<Vec<Vec<u8>>, Error> {
		let prefix = format!("0x{}", hex::encode(prefix));
		let start = start.map(|k| format!("0x{}", hex::encode(k)));
		let keys: Vec<String> =
			self.call("state_getKeysPaged", rpc_params![prefix, count, start]).await?;
		keys.iter()
			.map(|k| {
				hex::decode(k.trim_start_matches("0x"))
					.map_err(|e| self.error(format!("state_getKeysPaged: {e}")))
			})
			.collect()
	}

	/// The number of block `hash`.
	pub async fn block_number(&self, hash: [u8; 32]) -> Result<u32, Error> {
		let header: Value = self.call("chain_getHeader", rpc_params![hex_hash(hash)]).await?;
		header_number(&header).ok_or_else(|| self.error("bad header"))
	}

	/// The extrinsics of block `hash`, SCALE-encoded, in order.
	pub async fn block_extrinsics(&self, hash: [u8; 32]) -> Result<Vec<Vec<u8>>, Error> {
		let block: Value = self.call("chain_getBlock", rpc_params![hex_hash(hash)]).await?;
		let list = block
			.pointer("/block/extrinsics")
			.and_then(Value::as_array)
			.ok_or_else(|| self.error("chain_getBlock: no extrinsics"))?;
		list.iter()
			.map(|x| {
				x.as_str()
					.and_then(|h| hex::decode(h.trim_start_matches("0x")).ok())
					.ok_or_else(|| self.error("chain_getBlock: an extrinsic is not hex"))
			})
			.collect()
	}

	/// Hands an encoded extrinsic to the pool and follows it until a block includes it (or,
	/// on an instant-finality dev chain, finalizes it), reporting `progress` on the way;
	/// resolves with that block's hash. A refusal by the pool is `Error::Refused`.
	pub async fn submit_and_watch(
		&self,
		extrinsic: &[u8],
		mut progress: impl FnMut(Progress),
	) -> Result<[u8; 32], Error> {
		let hex = format!("0x{}", hex::encode(extrinsic));
		let mut statuses: Subscription<Value> = self
			.client
			.subscribe(
				"author_submitAndWatchExtrinsic",
				rpc_params![hex],
				"author_unwatchExtrinsic",
			)
			.await
			.map_err(|e| match e {
				jsonrpsee::core::ClientError::Call(e) => Error::Refused(format!(
					"{} {}",
					e.message(),
					e.data().map(|d| d.get().trim_matches('"').to_string()).unwrap_or_default()
				)),
				e => self.error(format!("author_submitAndWatchExtrinsic: {e}")),
			})?;
		// One deadline for the whole wait: a node that keeps reporting "ready" cannot hold it.
		let deadline = tokio::time::Instant::now() + INCLUSION_TIMEOUT;
		loop {
			let next = tokio::time::timeout_at(deadline, statuses.next()).await.map_err(|_| {
				self.error(format!(
					"no block included the transaction within {} s",
					INCLUSION_TIMEOUT.as_secs()
				))
			})?;
			let status = next
				.ok_or_else(|| self.error("the node stopped reporting the transaction"))?
				.map_err(|e| self.error(format!("transaction status: {e}")))?;
			match watch_status(&status) {
				Watched::Progress(p) => progress(p),
				Watched::Included(hash) => {
					return parse_hash(hash).ok_or_else(|| self.error(format!("bad hash {hash}")))
				},
				Watched::Gone(why) => return Err(Error::Refused(why)),
				Watched::Other => {},
			}
		}
	}

	/// New best blocks as they are imported.
	pub async fn subscribe_heads(&self) -> Result<Subscription<Value>, Error> {
		self.client
			.subscribe("chain_subscribeNewHeads", rpc_params![], "chain_unsubscribeNewHeads")
			.await
			.map_err(|e| self.error(format!("chain_subscribeNewHeads: {e}")))
	}
}

/// A runtime version's `specVersion`.
pub fn spec_version(version: &Value) -> Option<u32> {
	version.get("specVersion")?.as_u64()?.try_into().ok()
}

/// A header's block number.
pub fn header_number(header: &Value) -> Option<u32> {
	let number = header.get("number")?.as_str()?;
	u32::from_str_radix(number.trim_start_matches("0x"), 16).ok()
}

/// A transaction status of `author_submitAndWatchExtrinsic`, read.
#[derive(Debug, PartialEq, Eq)]
enum Watched<'a> {
	Progress(Progress),
	/// In a block (or finalized without an earlier in-block status): the block's hash.
	Included(&'a str),
	/// It will not be included: why.
	Gone(String),
	/// Retracted or the like: keep waiting.
	Other,
}

fn watch_status(status: &Value) -> Watched<'_> {
	if let Some(word) = status.as_str() {
		return match word {
			"future" | "ready" => Watched::Progress(Progress::Pooled),
			"dropped" => Watched::Gone("the pool dropped it (full, or replaced)".into()),
			"invalid" => Watched::Gone("it became invalid before a block took it".into()),
			_ => Watched::Other,
		};
	}
	let Some(map) = status.as_object() else { return Watched::Other };
	if let Some(hash) = map.get("inBlock").or_else(|| map.get("finalized")).and_then(Value::as_str)
	{
		return Watched::Included(hash);
	}
	if map.contains_key("broadcast") {
		return Watched::Progress(Progress::Broadcast);
	}
	if map.contains_key("usurped") {
		return Watched::Gone("another transaction with the same nonce replaced it".into());
	}
	if map.contains_key("finalityTimeout") {
		return Watched::Gone("its block was not finalized in time".into());
	}
	Watched::Other
}

fn hex_hash(hash: [u8; 32]) -> String {
	format!("0x{}", hex::encode(hash))
}

fn parse_hash(hex: &str) -> Option<[u8; 32]> {
	hex::decode(hex.trim_start_matches("0x")).ok()?.try_into().ok()
}

/// `Custom error: n` in a pool rejection's data.
fn parse_custom(data: &str) -> Option<u8> {
	let rest = &data[data.find("Custom error: ")? + "Custom error: ".len()..];
	rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn follows_a_transaction_to_its_block_or_its_end() {
		use serde_json::json;
		assert_eq!(watch_status(&json!("ready")), Watched::Progress(Progress::Pooled));
		assert_eq!(
			watch_status(&json!({ "broadcast": ["peer"] })),
			Watched::Progress(Progress::Broadcast)
		);
		assert_eq!(watch_status(&json!({ "inBlock": "0xab" })), Watched::Included("0xab"));
		assert_eq!(watch_status(&json!({ "finalized": "0xcd" })), Watched::Included("0xcd"));
		assert!(matches!(watch_status(&json!("invalid")), Watched::Gone(_)));
		assert!(matches!(watch_status(&json!({ "usurped": "0x01" })), Watched::Gone(_)));
		assert_eq!(watch_status(&json!({ "retracted": "0x01" })), Watched::Other);
	}

	#[test]
	fn reads_the_pallet_error_of_a_pool_rejection() {
		assert_eq!(parse_custom("\"Custom error: 3\""), Some(3));
		assert_eq!(parse_custom("\"Transaction is outdated\""), None);
		let header = serde_json::json!({ "number": "0x1a", "parentHash": "0x00" });
		assert_eq!(header_number(&header), Some(26));
	}
}
