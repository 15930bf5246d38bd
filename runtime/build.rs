//! Builds the runtime's wasm blob; with `metadata-hash`, also embeds the metadata hash that
//! `CheckMetadataHash` lets wallets verify.

/// Source paths end up in the wasm (panic locations): map the checkout to a fixed name so no
/// developer's local path is published on chain.
#[cfg(feature = "std")]
fn builder() -> substrate_wasm_builder::WasmBuilder {
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
