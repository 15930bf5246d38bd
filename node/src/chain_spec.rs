//! Chain specs built from the runtime's genesis presets. `chain-specs/*.json` are exports of
//! these (see `scripts/export-chain-specs.sh`); a test fails when they drift.

use gpux_runtime::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use sc_chain_spec::{ChainType, Properties};

/// The chain spec of GPUX chain (no node-side extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// The token and address format wallets such as polkadot.js show.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime's wasm is not in this build (built with SKIP_WASM_BUILD?); \
		 rebuild without SKIP_WASM_BUILD"
			.to_string()
	})
}

/// `--dev`: Alice alone validates; every dev account is endowed.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("GPUX Development")
		.with_id("gpux_dev")
		.with_protocol_id("gpux-dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate on loopback.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("GPUX Local Testnet")
		.with_id("gpux_local")
		.with_protocol_id("gpux-local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Resolves `--chain`: a built-in name or a path to a chain-spec JSON file.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" | "development" => Box::new(development_chain_spec()?),
		"" | "local" | "local_testnet" => Box::new(local_chain_spec()?),
		path => {
			let path = std::path::PathBuf::from(path);
			if !path.is_file() {
				return Err(format!(
					"unknown chain `{id}`: expected `dev`, `local`, or the path of a chain-spec \
					 JSON file (such as chain-specs/local.json)"
				));
			}
			Box::new(
				ChainSpec::from_json_file(path.clone())
					.map_err(|e| format!("{} is not a valid chain spec: {e}", path.display()))?,
			)
		},
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Splits the runtime code out of a chain spec: the rest must match exactly.
	fn split_code(mut spec: serde_json::Value) -> (serde_json::Value, Vec<u8>) {
		let code = spec["genesis"]["runtimeGenesis"]["code"].take();
		let code = sp_core::bytes::from_hex(code.as_str().expect("the spec carries its code"))
			.expect("the code is hex");
		(spec, code)
	}

	/// The runtime version the code embeds, its API list sorted (the list's order changes with
	/// the build path, its content does not) and without the benchmark and try-runtime APIs:
	/// CI's build carries them (the fuzzer's `try-runtime` joins its one graph), the committed
	/// specs' runtimes do not.
	fn runtime_version(code: &[u8]) -> sp_version::RuntimeVersion {
		let blob = sc_executor_common::runtime_blob::RuntimeBlob::uncompress_if_needed(code)
			.expect("the code is a wasm blob");
		let mut version = sc_executor::read_embedded_version(&blob)
			.expect("the version section reads")
			.expect("the runtime embeds its version");
		let mut apis = version.apis.to_vec();
		// blake2_64(b"Benchmark") and blake2_64(b"TryRuntime"): the node has no blake2_64.
		const BUILD_ONLY_APIS: [[u8; 8]; 2] = [
			[0x67, 0xf4, 0xb8, 0xfb, 0xa8, 0x58, 0x78, 0x2a],
			[0xe0, 0x83, 0x7f, 0xce, 0x09, 0xf4, 0x82, 0x9a],
		];
		apis.retain(|(id, _)| !BUILD_ONLY_APIS.contains(id));
		apis.sort();
		version.apis = apis.into();
		version
	}

	/// Compares a committed spec with the node's export of the same chain. The wasm bytes
	/// depend on the checkout's path (Cargo hashes path dependencies into symbol names), so the
	/// code is compared by the version it declares: a runtime change must bump `spec_version`.
	fn assert_matches_committed(spec: ChainSpec, file: &str) {
		let exported: serde_json::Value =
			serde_json::from_str(&spec.as_json(false).expect("spec exports")).unwrap();
		let path =
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../chain-specs").join(file);
		let committed: serde_json::Value = serde_json::from_str(
			&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
		)
		.unwrap();
		let (exported, exported_code) = split_code(exported);
		let (committed, committed_code) = split_code(committed);
		let regenerate = "run scripts/export-chain-specs.sh and commit chain-specs/";
		assert!(
			exported == committed,
			"chain-specs/{file} drifted from the node's export: {regenerate}"
		);
		assert_eq!(
			runtime_version(&committed_code),
			runtime_version(&exported_code),
			"chain-specs/{file} carries another runtime version: {regenerate}"
		);
	}

	#[test]
	fn committed_dev_spec_matches_the_node() {
		assert_matches_committed(development_chain_spec().unwrap(), "dev.json");
	}

	#[test]
	fn committed_local_spec_matches_the_node() {
		assert_matches_committed(local_chain_spec().unwrap(), "local.json");
	}

	#[test]
	fn chain_properties_name_the_token() {
		let spec = development_chain_spec().unwrap();
		let properties = spec.properties();
		assert_eq!(properties["tokenSymbol"], "GPUX");
		assert_eq!(properties["tokenDecimals"], 12);
		assert_eq!(properties["ss58Format"], SS58_PREFIX);
	}

	#[test]
	fn unknown_chain_is_a_clear_error() {
		let err = load("no-such-chain").err().unwrap();
		assert!(err.contains("unknown chain `no-such-chain`"), "{err}");
	}

	#[test]
	fn malformed_chain_spec_file_is_a_clear_error() {
		let dir = std::env::temp_dir().join(format!("gpux-bad-spec-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("bad.json");
		std::fs::write(&file, "{ not json").unwrap();
		let err = load(file.to_str().unwrap()).err().unwrap();
		std::fs::remove_dir_all(&dir).ok();
		assert!(err.contains("is not a valid chain spec"), "{err}");
	}
}
