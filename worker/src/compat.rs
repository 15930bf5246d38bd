//! Whether the chain's runtime still has the shape this worker was built for.
//!
//! The worker encodes its calls and decodes storage with the runtime's own types (chain.rs),
//! compiled in. A runtime upgrade that leaves those types alone changes nothing for it; one that
//! changes a call it sends or an entry it reads would make it send what the chain cannot decode
//! and misread what it can. So on every runtime version it compares, for each call and storage
//! entry it uses, the chain's metadata with the metadata it was built with: the pallet and call
//! indices, the storage hashers, and the shape of every type reached, with its field and variant
//! names and in encoding order. What differs is named, and only the duties that need it stop;
//! the rest (and every running lease container) carry on until the worker of the new release
//! is installed.

use std::sync::OnceLock;

use codec::{Decode, Encode};
use frame_metadata::{
	v14::{RuntimeMetadataV14, StorageEntryType},
	RuntimeMetadata, RuntimeMetadataPrefixed,
};
use gpux_primitives::challenge::Hash32;
use scale_info::{PortableRegistry, TypeDef};
use sp_crypto_hashing::blake2_256;

/// What the worker does; each stops alone when the runtime changed what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Duty {
	Heartbeats,
	Challenges,
	/// Attesting GPU confidential-computing evidence (optional beside `Challenges`).
	GpuEvidence,
	Leases,
	/// The check, at each connection, that the machine is registered under this key.
	MachineCheck,
}

impl Duty {
	pub const ALL: [Duty; 5] =
		[Duty::Heartbeats, Duty::Challenges, Duty::GpuEvidence, Duty::Leases, Duty::MachineCheck];
}

/// One call the worker sends or storage entry it reads, and the duties that need it.
struct Used {
	pallet: &'static str,
	name: &'static str,
	call: bool,
	duties: &'static [Duty],
}

const fn call(pallet: &'static str, name: &'static str, duties: &'static [Duty]) -> Used {
	Used { pallet, name, call: true, duties }
}

const fn entry(pallet: &'static str, name: &'static str, duties: &'static [Duty]) -> Used {
	Used { pallet, name, call: false, duties }
}

/// Everything the running worker touches on chain (`chain::keys` and `AttestationCall`).
const USED: &[Used] = &[
	call("Attestation", "heartbeat", &[Duty::Heartbeats]),
	call("Attestation", "commit_challenge", &[Duty::Challenges]),
	call("Attestation", "reveal_challenge", &[Duty::Challenges]),
	call("Attestation", "attest_gpu_evidence", &[Duty::GpuEvidence]),
	call("Attestation", "attest_lease_start", &[Duty::Leases]),
	call("Attestation", "attest_lease_end", &[Duty::Leases]),
	entry("Attestation", "HeartbeatWindows", &[Duty::Heartbeats]),
	entry("Attestation", "Heartbeats", &[Duty::Heartbeats]),
	entry("Attestation", "OpenChallenges", &[Duty::Challenges]),
	entry("Attestation", "Challenges", &[Duty::Challenges, Duty::GpuEvidence]),
	entry("Attestation", "GpuEvidenceHashes", &[Duty::GpuEvidence]),
	entry("Attestation", "LeaseAttestations", &[Duty::Leases]),
	entry("Leases", "MachineLeases", &[Duty::Leases]),
	entry("Leases", "Leases", &[Duty::Leases]),
	entry("Marketplace", "Machines", &[Duty::Leases, Duty::MachineCheck]),
];

/// The runtime as the worker sees it: what changed since the worker was built, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compat {
	pub spec_version: u32,
	/// `Pallet.name (call)` or `Pallet.Name (storage)` for each change.
	pub changed: Vec<String>,
	stopped: Vec<Duty>,
}

impl Compat {
	/// Before the chain was asked: everything runs.
	pub fn assumed() -> Self {
		Self { spec_version: 0, changed: Vec::new(), stopped: Vec::new() }
	}

	/// The chain's metadata (`state_getMetadata`) against the worker's own.
	pub fn of_chain(metadata: &[u8], spec_version: u32) -> Self {
		match (built_in(), v14(metadata)) {
			(Some(built), Some(chain)) => Self::between(built, &chain, spec_version),
			// A format this worker cannot read: nothing it sends can be trusted to decode.
			_ => Self {
				spec_version,
				changed: vec!["the metadata format".into()],
				stopped: Duty::ALL.to_vec(),
			},
		}
	}

	fn between(built: &RuntimeMetadataV14, chain: &RuntimeMetadataV14, spec_version: u32) -> Self {
		let mut compat = Self { spec_version, changed: Vec::new(), stopped: Vec::new() };
		for used in USED {
			let mine = fingerprint(built, used);
			if mine.is_some() && mine == fingerprint(chain, used) {
				continue;
			}
			let kind = if used.call { "call" } else { "storage" };
			compat.changed.push(format!("{}.{} ({kind})", used.pallet, used.name));
			for duty in used.duties {
				if !compat.stopped.contains(duty) {
					compat.stopped.push(*duty);
				}
			}
		}
		compat.stopped.sort();
		compat
	}

	/// Whether `duty` can run against this runtime.
	pub fn allows(&self, duty: Duty) -> bool {
		!self.stopped.contains(&duty)
	}

	/// The duties stopped.
	pub fn stopped(&self) -> &[Duty] {
		&self.stopped
	}
}

/// The metadata this worker was built with (V14, as `state_getMetadata` serves it).
fn built_in() -> Option<&'static RuntimeMetadataV14> {
	static BUILT: OnceLock<Option<RuntimeMetadataV14>> = OnceLock::new();
	BUILT
		.get_or_init(|| {
			// Some constants are read from storage: empty storage gives their defaults, which
			// no fingerprint uses.
			sp_io::TestExternalities::new_empty()
				.execute_with(|| v14_of(gpux_runtime::Runtime::metadata()))
		})
		.as_ref()
}

fn v14(bytes: &[u8]) -> Option<RuntimeMetadataV14> {
	v14_of(RuntimeMetadataPrefixed::decode(&mut &bytes[..]).ok()?)
}

fn v14_of(prefixed: RuntimeMetadataPrefixed) -> Option<RuntimeMetadataV14> {
	match prefixed.1 {
		RuntimeMetadata::V14(metadata) => Some(metadata),
		_ => None,
	}
}

/// What decides how `used` encodes in `metadata`; `None` when it is not there at all.
fn fingerprint(metadata: &RuntimeMetadataV14, used: &Used) -> Option<Hash32> {
	let pallet = metadata.pallets.iter().find(|p| p.name == used.pallet)?;
	let types = &metadata.types;
	let mut out = Vec::new();
	if used.call {
		let ty = types.resolve(pallet.calls.as_ref()?.ty.id)?;
		let TypeDef::Variant(calls) = &ty.type_def else { return None };
		let variant = calls.variants.iter().find(|v| v.name == used.name)?;
		(pallet.index, variant.index).encode_to(&mut out);
		for field in &variant.fields {
			field.name.encode_to(&mut out);
			shape(types, field.ty.id, &mut Vec::new(), &mut out);
		}
	} else {
		let storage = pallet.storage.as_ref()?;
		let entry = storage.entries.iter().find(|e| e.name == used.name)?;
		storage.prefix.encode_to(&mut out);
		match &entry.ty {
			StorageEntryType::Plain(value) => shape(types, value.id, &mut Vec::new(), &mut out),
			StorageEntryType::Map { hashers, key, value } => {
				hashers.encode_to(&mut out);
				shape(types, key.id, &mut Vec::new(), &mut out);
				shape(types, value.id, &mut Vec::new(), &mut out);
			},
		}
	}
	Some(blake2_256(&out))
}

/// Writes the shape of type `id` to `out`: everything that decides its encoding, with field
/// and variant names (a swap of two same-typed fields changes meaning) and without type paths
/// (moving a type between modules changes nothing). `within` holds the types being described,
/// so a recursive type ends in a back-reference.
fn shape(types: &PortableRegistry, id: u32, within: &mut Vec<u32>, out: &mut Vec<u8>) {
	if let Some(depth) = within.iter().position(|t| *t == id) {
		(0xffu8, depth as u32).encode_to(out);
		return;
	}
	let Some(ty) = types.resolve(id) else {
		0xfeu8.encode_to(out);
		return;
	};
	within.push(id);
	let fields = |fields: &[scale_info::Field<scale_info::form::PortableForm>],
	              within: &mut Vec<u32>,
	              out: &mut Vec<u8>| {
		(fields.len() as u32).encode_to(out);
		for field in fields {
			field.name.encode_to(out);
			shape(types, field.ty.id, within, out);
		}
	};
	match &ty.type_def {
		TypeDef::Composite(composite) => {
			0u8.encode_to(out);
			fields(&composite.fields, within, out);
		},
		TypeDef::Variant(variant) => {
			1u8.encode_to(out);
			(variant.variants.len() as u32).encode_to(out);
			let mut variants: Vec<_> = variant.variants.iter().collect();
			variants.sort_by_key(|v| v.index);
			for v in variants {
				(v.index, &v.name).encode_to(out);
				fields(&v.fields, within, out);
			}
		},
		TypeDef::Sequence(sequence) => {
			2u8.encode_to(out);
			shape(types, sequence.type_param.id, within, out);
		},
		TypeDef::Array(array) => {
			(3u8, array.len).encode_to(out);
			shape(types, array.type_param.id, within, out);
		},
		TypeDef::Tuple(tuple) => {
			(4u8, tuple.fields.len() as u32).encode_to(out);
			for field in &tuple.fields {
				shape(types, field.id, within, out);
			}
		},
		TypeDef::Primitive(primitive) => (5u8, format!("{primitive:?}")).encode_to(out),
		TypeDef::Compact(compact) => {
			6u8.encode_to(out);
			shape(types, compact.type_param.id, within, out);
		},
		TypeDef::BitSequence(bits) => {
			7u8.encode_to(out);
			shape(types, bits.bit_store_type.id, within, out);
			shape(types, bits.bit_order_type.id, within, out);
		},
	}
	within.pop();
}

#[cfg(test)]
mod tests {
	use super::*;
	use scale_info::{form::PortableForm, TypeDefPrimitive};

	fn encoded(metadata: &RuntimeMetadataV14) -> Vec<u8> {
		RuntimeMetadataPrefixed(
			frame_metadata::META_RESERVED,
			RuntimeMetadata::V14(metadata.clone()),
		)
		.encode()
	}

	fn built() -> RuntimeMetadataV14 {
		built_in().expect("the runtime's metadata is V14").clone()
	}

	fn type_def(metadata: &mut RuntimeMetadataV14, id: u32) -> &mut TypeDef<PortableForm> {
		&mut metadata.types.types.iter_mut().find(|t| t.id == id).unwrap().ty.type_def
	}

	/// The id of the type the attestation pallet's `call`/`field` has.
	fn call_field_type(metadata: &RuntimeMetadataV14, call: &str, field: &str) -> u32 {
		let pallet = metadata.pallets.iter().find(|p| p.name == "Attestation").unwrap();
		let ty = metadata.types.resolve(pallet.calls.as_ref().unwrap().ty.id).unwrap();
		let TypeDef::Variant(calls) = &ty.type_def else { panic!("calls are an enum") };
		let variant = calls.variants.iter().find(|v| v.name == call).unwrap();
		variant.fields.iter().find(|f| f.name.as_deref() == Some(field)).unwrap().ty.id
	}

	#[test]
	fn the_runtime_it_was_built_with_changes_nothing() {
		let built = built();
		let compat = Compat::of_chain(&encoded(&built), 127);
		assert_eq!(compat, Compat { spec_version: 127, changed: vec![], stopped: vec![] });
		for used in USED {
			assert!(fingerprint(&built, used).is_some(), "{}.{} is there", used.pallet, used.name);
		}
	}

	#[test]
	fn a_changed_call_stops_only_the_duty_that_sends_it() {
		// `heartbeat`'s window becomes a u64: the heartbeat must stop, nothing else.
		let mut chain = built();
		let window = call_field_type(&chain, "heartbeat", "window");
		let u64_id = chain
			.types
			.types
			.iter()
			.find(|t| t.ty.type_def == TypeDef::Primitive(TypeDefPrimitive::U64))
			.unwrap()
			.id;
		let pallet = chain.pallets.iter().find(|p| p.name == "Attestation").unwrap();
		let calls_id = pallet.calls.as_ref().unwrap().ty.id;
		let TypeDef::Variant(calls) = type_def(&mut chain, calls_id) else {
			panic!("calls are an enum")
		};
		let heartbeat = calls.variants.iter_mut().find(|v| v.name == "heartbeat").unwrap();
		let field = heartbeat.fields.iter_mut().find(|f| f.ty.id == window).unwrap();
		field.ty = u64_id.into();
		let compat = Compat::of_chain(&encoded(&chain), 128);
		assert_eq!(compat.changed, vec!["Attestation.heartbeat (call)".to_string()]);
		assert!(!compat.allows(Duty::Heartbeats));
		assert!(compat.allows(Duty::Challenges) && compat.allows(Duty::Leases));
	}

	#[test]
	fn a_changed_type_deep_in_an_entry_or_a_moved_pallet_is_noticed() {
		// Two variants of the lease status swap their indices: same types, other meaning.
		let mut chain = built();
		let status = chain
			.types
			.types
			.iter()
			.find(|t| t.ty.path.segments.last().is_some_and(|s| s == "LeaseStatus"))
			.unwrap()
			.id;
		let TypeDef::Variant(status) = type_def(&mut chain, status) else {
			panic!("LeaseStatus is an enum")
		};
		let (a, b) = (status.variants[0].index, status.variants[1].index);
		status.variants[0].index = b;
		status.variants[1].index = a;
		let compat = Compat::of_chain(&encoded(&chain), 128);
		assert!(compat.changed.contains(&"Leases.Leases (storage)".to_string()), "{compat:?}");
		assert_eq!(compat.stopped(), &[Duty::Leases]);

		// The attestation pallet moves to another index: every call it has changes.
		let mut chain = built();
		chain.pallets.iter_mut().find(|p| p.name == "Attestation").unwrap().index += 1;
		let compat = Compat::of_chain(&encoded(&chain), 128);
		assert_eq!(
			compat.stopped(),
			&[Duty::Heartbeats, Duty::Challenges, Duty::GpuEvidence, Duty::Leases]
		);

		// Metadata that does not decode stops everything.
		let compat = Compat::of_chain(b"not metadata", 128);
		assert!(Duty::ALL.iter().all(|d| !compat.allows(*d)));
	}
}
