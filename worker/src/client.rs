//! The chain client: JSON-RPC over WebSocket to the local node, with reconnection and backoff.
//! The worker builds and decodes with the runtime's own types (`chain.rs`); it reads the
//! runtime's metadata only to check that they still match (`compat.rs`).

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

/// A connection to the node.
pub struct Chain {
	client: WsClient,
	pub url: String,
	/// The chain's genesis hash: part of every signed statement.
	pub genesis: [u8; 32],
}

/// A new block, as the worker needs it.
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
	fn error(&self, message: impl Into<String>) -> Error {
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
	fn reads_the_pallet_error_of_a_pool_rejection() {
		assert_eq!(parse_custom("\"Custom error: 3\""), Some(3));
		assert_eq!(parse_custom("\"Transaction is outdated\""), None);
		let header = serde_json::json!({ "number": "0x1a", "parentHash": "0x00" });
		assert_eq!(header_number(&header), Some(26));
	}
}
