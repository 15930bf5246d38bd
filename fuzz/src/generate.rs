//! Random calls of every pallet, generated from the runtime's own type information: whatever a
//! pallet adds is fuzzed without a line here. Values lean towards what reaches a call's logic
//! (small ids that exist, amounts around what accounts hold, the fuzz's own accounts) and
//! towards the edges (zero, the maximum, byte vectors up to 1,200 long; type information does
//! not carry a `BoundedVec`'s bound, so one drawn past it fails to decode and is drawn again).

use codec::{Compact, DecodeLimit, Encode};
use gpux_runtime::{AccountId, RuntimeCall, UNITS};
use scale_info::{form::PortableForm, PortableRegistry, Type, TypeDef, TypeDefPrimitive};

use crate::rng::Rng;

/// How deep calls may nest (`utility.batch`, `sudo.sudo`, ...): deeper adds nothing but length.
const MAX_CALL_NESTING: u32 = 2;
/// Recursion guard for the type walk itself.
const MAX_TYPE_DEPTH: u32 = 24;
/// The runtime's own limit on nested calls when decoding an extrinsic.
const MAX_DECODE_DEPTH: u32 = 256;

/// Calls the fuzz never makes: they replace the runtime or write raw storage, which no
/// invariant could survive and no user can do (the root origin is governance's).
const EXCLUDED_CALLS: &[(&str, &[&str])] = &[
	(
		"frame_system",
		&[
			"set_heap_pages",
			"set_code",
			"set_code_without_checks",
			"set_storage",
			"kill_storage",
			"kill_prefix",
			"authorize_upgrade",
			"authorize_upgrade_without_checks",
			"apply_authorized_upgrade",
		],
	),
	// The fuzz keeps Alice as the sudo key so that root-only calls stay reachable.
	("pallet_sudo", &["set_key", "remove_key"]),
	// Root's balance surgery, which breaks the money invariant by design (upstream's): the total
	// issuance set apart from what accounts hold, a balance set to u128::MAX (saturating the
	// issuance), and a reserve taken back from under its holds (docs/RELIABILITY.md, findings).
	("pallet_balances", &["force_adjust_total_issuance", "force_set_balance", "force_unreserve"]),
	// A spend valid from ~u32::MAX expires as it starts and fails the treasury's try_state
	// (upstream; block 2^32 is 800 years away). `spend_local` stays.
	("pallet_treasury", &["spend"]),
];

/// Generates random `RuntimeCall`s.
pub struct CallGenerator {
	registry: PortableRegistry,
	call_type: u32,
	accounts: Vec<AccountId>,
}

/// What the generator needs to know of the chain as it is now.
pub struct Hints<'a> {
	/// Accounts that sign: the fuzz's actors.
	pub accounts: &'a [AccountId],
	/// The largest id of any kind in use (machines, leases, orders...), so ids hit existing
	/// entities most of the time.
	pub max_id: u64,
}

struct Walk<'a> {
	registry: &'a PortableRegistry,
	rng: &'a mut Rng,
	accounts: &'a [AccountId],
	max_id: u64,
	out: Vec<u8>,
	call_nesting: u32,
	depth: u32,
	call_type: u32,
}

impl CallGenerator {
	/// A generator over the runtime's `RuntimeCall` type.
	pub fn new(accounts: Vec<AccountId>) -> Self {
		let mut registry = scale_info::Registry::new();
		let call_type = registry.register_type(&scale_info::meta_type::<RuntimeCall>()).id;
		Self { registry: registry.into(), call_type, accounts }
	}

	/// A random call that decodes (bounded vectors within their bounds): up to 16 tries, then a
	/// remark.
	pub fn call(&self, rng: &mut Rng, hints: &Hints) -> RuntimeCall {
		for _ in 0..16 {
			if let Ok(call) = decode_call(&self.bytes(rng, hints)) {
				return call;
			}
		}
		RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
	}

	/// The SCALE bytes of a random value of `RuntimeCall`'s shape; they may not decode (a
	/// bounded vector past its bound, a value a type refuses).
	pub fn bytes(&self, rng: &mut Rng, hints: &Hints) -> Vec<u8> {
		let mut walk = self.walk(rng, hints);
		walk.value(self.call_type);
		walk.out
	}

	/// A random call of `pallet`'s `function` (names as in the metadata) that decodes, if one
	/// does within 16 tries.
	pub fn call_of(
		&self,
		rng: &mut Rng,
		hints: &Hints,
		pallet: &str,
		function: &str,
	) -> Option<RuntimeCall> {
		let TypeDef::Variant(pallets) = &self.registry.resolve(self.call_type)?.type_def else {
			return None;
		};
		let pallet = pallets.variants.iter().find(|v| v.name == pallet)?;
		let calls = &self.registry.resolve(pallet.fields.first()?.ty.id)?.type_def;
		let TypeDef::Variant(calls) = calls else { return None };
		let call = calls.variants.iter().find(|v| v.name == function)?;
		(0..16).find_map(|_| {
			let mut walk = self.walk(rng, hints);
			walk.out.extend([pallet.index, call.index]);
			walk.call_nesting = 1;
			for field in &call.fields {
				walk.value(field.ty.id);
			}
			decode_call(&walk.out).ok()
		})
	}

	fn walk<'a>(&'a self, rng: &'a mut Rng, hints: &'a Hints) -> Walk<'a> {
		Walk {
			registry: &self.registry,
			rng,
			accounts: if hints.accounts.is_empty() { &self.accounts } else { hints.accounts },
			max_id: hints.max_id,
			out: Vec::new(),
			call_nesting: 0,
			depth: 0,
			call_type: self.call_type,
		}
	}

	/// The name of the pallet at `index` in the runtime, if it has calls.
	pub fn pallet_name(&self, index: u8) -> Option<&str> {
		let TypeDef::Variant(pallets) = &self.registry.resolve(self.call_type)?.type_def else {
			return None;
		};
		pallets.variants.iter().find(|v| v.index == index).map(|v| v.name.as_str())
	}

	/// Every pallet's name and call names, as the generator sees them (for coverage reports).
	pub fn call_names(&self) -> Vec<(String, String)> {
		let mut names = Vec::new();
		let Some(TypeDef::Variant(pallets)) =
			self.registry.resolve(self.call_type).map(|t| &t.type_def)
		else {
			return names;
		};
		for pallet in &pallets.variants {
			let Some(field) = pallet.fields.first() else { continue };
			if let Some(TypeDef::Variant(calls)) =
				self.registry.resolve(field.ty.id).map(|t| &t.type_def)
			{
				for call in &calls.variants {
					names.push((pallet.name.clone(), call.name.clone()));
				}
			}
		}
		names
	}
}

fn path_is(ty: &Type<PortableForm>, last: &str) -> bool {
	ty.path.segments.last().is_some_and(|s| s == last)
}

fn excluded(ty: &Type<PortableForm>, variant: &str) -> bool {
	let Some(crate_name) = ty.path.segments.first() else { return false };
	path_is(ty, "Call")
		&& EXCLUDED_CALLS
			.iter()
			.any(|(krate, calls)| krate == crate_name && calls.contains(&variant))
}

impl Walk<'_> {
	fn value(&mut self, id: u32) {
		let Some(ty) = self.registry.resolve(id) else { return };
		if self.depth > MAX_TYPE_DEPTH {
			return;
		}
		self.depth += 1;
		if id == self.call_type {
			self.runtime_call(ty);
		} else if path_is(ty, "AccountId32") {
			let account = self.account();
			self.out.extend_from_slice(account.as_ref());
		} else {
			self.type_def(ty);
		}
		self.depth -= 1;
	}

	/// A call; nested ones past the limit are remarks, so that batches stay small.
	fn runtime_call(&mut self, ty: &Type<PortableForm>) {
		if self.call_nesting >= MAX_CALL_NESTING {
			RuntimeCall::System(frame_system::Call::remark { remark: vec![1] })
				.encode_to(&mut self.out);
			return;
		}
		self.call_nesting += 1;
		self.type_def(ty);
		self.call_nesting -= 1;
	}

	fn account(&mut self) -> AccountId {
		if self.rng.chance(3) {
			// A stranger: an account nobody holds the key of.
			AccountId::new([self.rng.below(4) as u8 + 0xF0; 32])
		} else {
			self.rng.pick(self.accounts).clone()
		}
	}

	fn type_def(&mut self, ty: &Type<PortableForm>) {
		match &ty.type_def {
			TypeDef::Composite(composite) => {
				for field in &composite.fields {
					self.value(field.ty.id);
				}
			},
			TypeDef::Variant(variants) => {
				let allowed: Vec<_> =
					variants.variants.iter().filter(|v| !excluded(ty, &v.name)).collect();
				if allowed.is_empty() {
					return;
				}
				// `MultiAddress`: mostly an account id, the form wallets send.
				let variant = if path_is(ty, "MultiAddress") && self.rng.chance(90) {
					allowed[0]
				} else {
					allowed[self.rng.below(allowed.len() as u64) as usize]
				};
				self.out.push(variant.index);
				for field in &variant.fields {
					self.value(field.ty.id);
				}
			},
			TypeDef::Sequence(sequence) => {
				let bytes = self.is_u8(sequence.type_param.id);
				let len = self.length(bytes);
				Compact(len as u32).encode_to(&mut self.out);
				if bytes {
					let data = self.rng.bytes(len);
					self.out.extend_from_slice(&data);
				} else {
					for _ in 0..len {
						self.value(sequence.type_param.id);
					}
				}
			},
			TypeDef::Array(array) => {
				if self.is_u8(array.type_param.id) {
					let data = if self.rng.chance(10) {
						vec![0; array.len as usize]
					} else {
						self.rng.bytes(array.len as usize)
					};
					self.out.extend_from_slice(&data);
				} else {
					for _ in 0..array.len {
						self.value(array.type_param.id);
					}
				}
			},
			TypeDef::Tuple(tuple) => {
				for field in &tuple.fields {
					self.value(field.id);
				}
			},
			TypeDef::Primitive(primitive) => self.primitive(primitive),
			TypeDef::Compact(compact) => {
				let bits = self.primitive_bits(compact.type_param.id);
				let value = self.uint(bits);
				match bits {
					8 => Compact(value as u8).encode_to(&mut self.out),
					16 => Compact(value as u16).encode_to(&mut self.out),
					32 => Compact(value as u32).encode_to(&mut self.out),
					64 => Compact(value as u64).encode_to(&mut self.out),
					_ => Compact(value).encode_to(&mut self.out),
				}
			},
			// No call of ours takes bits; an empty sequence decodes as any of them.
			TypeDef::BitSequence(_) => Compact(0u32).encode_to(&mut self.out),
		}
	}

	fn is_u8(&self, id: u32) -> bool {
		matches!(
			self.registry.resolve(id).map(|t| &t.type_def),
			Some(TypeDef::Primitive(TypeDefPrimitive::U8))
		)
	}

	/// The width of the integer inside a compact (through single-field wrappers such as
	/// `Perbill`).
	fn primitive_bits(&self, mut id: u32) -> u32 {
		for _ in 0..4 {
			match self.registry.resolve(id).map(|t| &t.type_def) {
				Some(TypeDef::Primitive(TypeDefPrimitive::U8)) => return 8,
				Some(TypeDef::Primitive(TypeDefPrimitive::U16)) => return 16,
				Some(TypeDef::Primitive(TypeDefPrimitive::U32)) => return 32,
				Some(TypeDef::Primitive(TypeDefPrimitive::U64)) => return 64,
				Some(TypeDef::Composite(c)) if c.fields.len() == 1 => id = c.fields[0].ty.id,
				_ => break,
			}
		}
		128
	}

	/// How long a sequence is: mostly short, sometimes around the bounds calls set.
	fn length(&mut self, bytes: bool) -> usize {
		match self.rng.below(100) {
			0..=19 => 0,
			20..=69 => 1 + self.rng.below(4) as usize,
			70..=89 => 5 + self.rng.below(if bytes { 60 } else { 12 }) as usize,
			_ if bytes => self.rng.below(1_200) as usize,
			_ => self.rng.below(40) as usize,
		}
	}

	/// An unsigned integer of `bits` bits: small (ids, counts), around what accounts hold
	/// (amounts), the edges, or anything.
	fn uint(&mut self, bits: u32) -> u128 {
		let max = if bits >= 128 { u128::MAX } else { (1u128 << bits) - 1 };
		let value = match self.rng.below(100) {
			0..=39 => self.rng.below(self.max_id.saturating_add(3)) as u128,
			40..=54 => self.rng.below(256) as u128,
			55..=69 if bits >= 64 => (self.rng.below(2_000) as u128) * UNITS / 10,
			55..=69 => self.rng.below(100_000) as u128,
			70..=77 => max,
			78..=81 => max.saturating_sub(1),
			82..=85 => 0,
			_ => (u128::from(self.rng.next_u64()) << 64 | u128::from(self.rng.next_u64())) & max,
		};
		value.min(max)
	}

	fn primitive(&mut self, primitive: &TypeDefPrimitive) {
		use TypeDefPrimitive as P;
		let encoded = match primitive {
			P::Bool => (self.rng.below(2) == 1).encode(),
			P::Char => u32::from(b'a' + self.rng.below(26) as u8).encode(),
			P::Str => {
				let len = self.length(true);
				(0..len)
					.map(|_| (b'a' + self.rng.below(26) as u8) as char)
					.collect::<String>()
					.encode()
			},
			P::U8 => (self.uint(8) as u8).encode(),
			P::U16 => (self.uint(16) as u16).encode(),
			P::U32 => (self.uint(32) as u32).encode(),
			P::U64 => (self.uint(64) as u64).encode(),
			P::U128 => self.uint(128).encode(),
			P::I8 => (self.uint(8) as i8).encode(),
			P::I16 => (self.uint(16) as i16).encode(),
			P::I32 => (self.uint(32) as i32).encode(),
			P::I64 => (self.uint(64) as i64).encode(),
			P::I128 => (self.uint(128) as i128).encode(),
			P::U256 | P::I256 => (self.uint(128), 0u128).encode(),
		};
		self.out.extend_from_slice(&encoded);
	}
}

/// Decodes `bytes` as a call the way the runtime decodes an extrinsic's call.
pub fn decode_call(bytes: &[u8]) -> Result<RuntimeCall, codec::Error> {
	RuntimeCall::decode_all_with_depth_limit(MAX_DECODE_DEPTH, &mut &bytes[..])
}

/// A call's name as `Pallet.call`, for reports.
pub fn call_name(call: &RuntimeCall) -> String {
	use frame_support::traits::GetCallMetadata;
	let metadata = call.get_call_metadata();
	format!("{}.{}", metadata.pallet_name, metadata.function_name)
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::GetCallMetadata;
	use sp_keyring::Sr25519Keyring::{Bob, Charlie};

	fn generator() -> CallGenerator {
		CallGenerator::new(vec![Bob.to_account_id(), Charlie.to_account_id()])
	}

	#[test]
	fn every_pallet_with_calls_is_generated() {
		let generator = generator();
		let hints = Hints { accounts: &[], max_id: 4 };
		let mut rng = Rng::new(1);
		let mut seen = std::collections::BTreeSet::new();
		for _ in 0..20_000 {
			let call = generator.call(&mut rng, &hints);
			let name: &'static str = call.get_call_metadata().pallet_name;
			seen.insert(name);
		}
		for pallet in [
			"Balances",
			"Marketplace",
			"Leases",
			"ProviderStaking",
			"Attestation",
			"Governance",
			"Referenda",
			"ConvictionVoting",
			"Utility",
			"Treasury",
		] {
			assert!(seen.contains(pallet), "{pallet} never generated: {seen:?}");
		}
	}

	#[test]
	fn runtime_replacing_calls_are_never_generated() {
		let generator = generator();
		let hints = Hints { accounts: &[], max_id: 4 };
		let mut rng = Rng::new(2);
		for _ in 0..20_000 {
			let bytes = generator.call(&mut rng, &hints).encode();
			// System is pallet 0; only its remarks (0 and 7) may appear at the top.
			if bytes[0] == 0 {
				assert!(matches!(bytes[1], 0 | 7), "system call {} generated", bytes[1]);
			}
		}
	}

	#[test]
	fn the_same_seed_generates_the_same_calls() {
		let generator = generator();
		let hints = Hints { accounts: &[], max_id: 4 };
		let run = |seed| {
			let mut rng = Rng::new(seed);
			(0..200).map(|_| generator.call(&mut rng, &hints).encode()).collect::<Vec<_>>()
		};
		assert_eq!(run(9), run(9));
		assert_ne!(run(9), run(10));
	}
}
