//! Builds the runtime's wasm blob; with `metadata-hash`, also embeds the metadata hash that
//! `CheckMetadataHash` lets wallets verify.

/// Source paths end up in the wasm (panic locations): map the checkout to a fixed name so no
/// developer's local path is published on chain.
#[cfg(feature = "std")]
fn builder() -> substrate_wasm_builder::WasmBuilder {
	// scripts/build-upgrade-runtime.sh builds the wasm as operators build it, while the native
	// crate is checked with the test graph's features (benchmarks, try-runtime) so that it
	// reuses what the lints compiled: the wasm builder forwards the features it sees here.
	println!("cargo:rerun-if-env-changed=GPUX_WASM_WITHOUT_TEST_FEATURES");
	if std::env::var("GPUX_WASM_WITHOUT_TEST_FEATURES").as_deref() == Ok("1") {
		println!("cargo:warning=GPUX_WASM_WITHOUT_TEST_FEATURES=1: the wasm is built without runtime-benchmarks and try-runtime");
		for feature in ["RUNTIME_BENCHMARKS", "TRY_RUNTIME"] {
			std::env::remove_var(format!("CARGO_FEATURE_{feature}"));
		}
	}
	let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
	let workspace = std::path::Path::new(&manifest_dir)
		.parent()
		.map(|p| p.display().to_string())
		.unwrap_or_default();
	let mut builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
	if !workspace.is_empty() {
		builder = builder.append_to_rust_flags(format!("--remap-path-prefix={workspace}=/gpux"));
	}
	builder
}

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	builder().enable_metadata_hash("GPUX", 12).build();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	builder().build();
}

/// The wasm build itself compiles without `std`: nothing to do then.
#[cfg(not(feature = "std"))]
fn main() {}
