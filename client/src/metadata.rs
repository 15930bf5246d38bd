//! A dispatch error by name, in the chain's own words: the pallet and error a module error
//! indexes, with the error's documentation, read from the runtime's metadata now (so an error a
//! runtime upgrade added is named too).

use std::collections::BTreeMap;

use codec::Decode;
use frame_metadata::{v14::RuntimeMetadataV14, RuntimeMetadata, RuntimeMetadataPrefixed};
use scale_info::TypeDef;
use sp_runtime::DispatchError;

use crate::{error::Error, rpc::Chain};

/// `(pallet index, error index)` → `pallet.Error: docs`, for every pallet with errors.
pub struct ErrorNames(BTreeMap<(u8, u8), String>);

impl ErrorNames {
	/// The names in the chain's metadata now.
	pub async fn of(chain: &Chain) -> Result<Self, Error> {
		let bytes = chain.metadata().await?;
		Self::from_metadata(&bytes).ok_or_else(|| chain.error("metadata in a format not read here"))
	}

	/// The names in SCALE-encoded metadata (`state_getMetadata`, V14).
	pub fn from_metadata(bytes: &[u8]) -> Option<Self> {
		let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).ok()?;
		let RuntimeMetadata::V14(meta) = prefixed.1 else { return None };
		Some(Self::from_v14(&meta))
	}

	fn from_v14(meta: &RuntimeMetadataV14) -> Self {
		let mut names = BTreeMap::new();
		for pallet in &meta.pallets {
			let Some(errors) = &pallet.error else { continue };
			let Some(ty) = meta.types.resolve(errors.ty.id) else { continue };
			let TypeDef::Variant(variants) = &ty.type_def else { continue };
			for variant in &variants.variants {
				let docs = variant.docs.join(" ");
				let name = format!("{}.{}", lower_first(&pallet.name), variant.name);
				let text =
					if docs.trim().is_empty() { name } else { format!("{name}: {}", docs.trim()) };
				names.insert((pallet.index, variant.index), text);
			}
		}
		Self(names)
	}

	/// `leases.DurationOutOfBounds: <its docs>` for a module error; the error's kind otherwise.
	pub fn explain(&self, error: &DispatchError) -> String {
		match error {
			DispatchError::Module(module) => {
				self.0.get(&(module.index, module.error[0])).cloned().unwrap_or_else(|| {
					format!("error {} of pallet {}", module.error[0], module.index)
				})
			},
			DispatchError::Token(token) => {
				format!("token.{token:?}: the balance cannot pay for this")
			},
			DispatchError::BadOrigin => "BadOrigin: this account may not make this call".into(),
			other => format!("{other:?}"),
		}
	}
}

/// `Leases` → `leases`, as polkadot.js names pallets.
fn lower_first(name: &str) -> String {
	let mut chars = name.chars();
	chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
	use codec::Encode;
	use gpux_runtime::Runtime;

	use super::*;

	#[test]
	fn a_module_error_is_named_with_its_pallet_and_docs() {
		let metadata = sp_io::TestExternalities::new_empty().execute_with(Runtime::metadata);
		let names = ErrorNames::from_metadata(&metadata.encode()).expect("V14 metadata");
		let error: DispatchError = pallet_leases::Error::<Runtime>::DurationOutOfBounds.into();
		let text = names.explain(&error);
		assert!(text.starts_with("leases.DurationOutOfBounds: "), "{text}");
		assert!(text.len() > "leases.DurationOutOfBounds: ".len(), "with its docs: {text}");
		assert_eq!(
			names.explain(&DispatchError::BadOrigin),
			"BadOrigin: this account may not make this call"
		);
	}
}
