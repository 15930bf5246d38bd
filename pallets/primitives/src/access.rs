//! What a renter hands a machine, checked where it enters the chain: an OpenSSH public key that
//! a container's sshd will accept, and an x25519 key that secrets can be sealed to. A key that
//! fails here is refused at `rent`, `placeOrder` or `postJob`, so it never reaches a container.

use alloc::vec::Vec;

/// A valid key for examples, tests and benchmarks (its private half was not kept).
pub const EXAMPLE_SSH_KEY: &[u8] =
	b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT example@gpux";

/// An RSA-4096 key (private half not kept) whose comment fills the line to `MAX_SSH_KEY_LEN`:
/// the most a key check reads and decodes, for benchmarks.
pub fn longest_ssh_key() -> Vec<u8> {
	const RSA_4096: &[u8] = b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCpl6dMHJeBNqIn1+w6b42yUnG7CMBrzQJXqsVCTeilSSElPZ01DCL+dFXz2wyNU+3w2n1cfECriKGDbPXf5+FWZqKxkx4BKLw50e+k6H5qHT8PAXN+iNQlAvcvtUItL+n4yQ0OmQFOr4YceWKQvuB9XHkasAnBkaqTChwAicZKEBzRtijIk+4+nwwfP4iGrWOeAmJZK0bFftUztow4BELaYTAb4+gxtZjynq/kVg1gy842QLZfvCYBhS7WQU1YavyrhbdYyaevqjOL+O+eBb/8cthvEusDoVwm6fKyusKSUg9yfSV/EVAjcyMZAIeLWBXa/552g3X/81TGR6JRM4zz9BemGyi7nzBORRxr52GsTAq7yjEYZn0z+LZAI0Nw/eeC6ih8eA14BfSIuhERHizA2LbIC4KAB8U5xKZQ/yHct/sa044+Non46T9sheMbgUXbY0brAgVZ5njfJgLY4Ud5QGSwb0GpUy+nbQbddxg4pDoj2ybsHdBWsREmTsMNb7W8oNqEOL/ahBewwaTreNW0Apbf7EEmy8gl4CrHGyJX9qpOhUpPiUDcCpapBri6zFjBY4BZWVfIEWwA8KVBy7QjTRfX8yTIRMGTXzu1dG9+eKPPgtRIwo8jidBSln+yauC6TpYCz9Xr1tDGV73OEyn4bBucSIHf83AiB9inpWqNPQ==";
	let mut key = RSA_4096.to_vec();
	key.push(b' ');
	key.resize(crate::market::MAX_SSH_KEY_LEN as usize, b'c');
	key
}

impl crate::market::AccessSpec {
	/// The access a benchmark rents with: the longest key there is to check, and a seal key.
	pub fn longest() -> Self {
		Self {
			ssh_public_key: longest_ssh_key().try_into().unwrap_or_default(),
			seal_key: Some([9; 32]),
		}
	}

	/// `EXAMPLE_SSH_KEY` and no seal key, for examples and tests.
	pub fn example() -> Self {
		Self {
			ssh_public_key: EXAMPLE_SSH_KEY.to_vec().try_into().unwrap_or_default(),
			seal_key: None,
		}
	}
}

/// Key types sshd accepts in `authorized_keys`, each with the shape of its key blob.
const KEY_TYPES: &[(&[u8], KeyShape)] = &[
	(b"ssh-ed25519", KeyShape::Ed25519),
	(b"sk-ssh-ed25519@openssh.com", KeyShape::SkEd25519),
	(b"ssh-rsa", KeyShape::Rsa),
	(b"ecdsa-sha2-nistp256", KeyShape::Ecdsa(b"nistp256", 65)),
	(b"ecdsa-sha2-nistp384", KeyShape::Ecdsa(b"nistp384", 97)),
	(b"ecdsa-sha2-nistp521", KeyShape::Ecdsa(b"nistp521", 133)),
	(b"sk-ecdsa-sha2-nistp256@openssh.com", KeyShape::SkEcdsa),
];

/// Shortest RSA modulus accepted: OpenSSH refuses keys under 1,024 bits.
const MIN_RSA_MODULUS_BITS: usize = 1024;

#[derive(Clone, Copy)]
enum KeyShape {
	Ed25519,
	SkEd25519,
	Rsa,
	/// Curve name and uncompressed point length.
	Ecdsa(&'static [u8], usize),
	SkEcdsa,
}

/// Why an `AccessSpec` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
	/// The SSH key is not an OpenSSH public key line.
	MalformedSshKey(SshKeyError),
	/// The seal key is a small-order x25519 point.
	MalformedSealKey,
}

impl crate::market::AccessSpec {
	/// Checks the SSH key and the seal key, if any.
	pub fn check(&self) -> Result<(), AccessError> {
		check_ssh_public_key(&self.ssh_public_key).map_err(AccessError::MalformedSshKey)?;
		match &self.seal_key {
			Some(key) if !is_valid_seal_key(key) => Err(AccessError::MalformedSealKey),
			_ => Ok(()),
		}
	}
}

/// Why an SSH public key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SshKeyError {
	/// Not one line of printable ASCII (a newline would add a line to `authorized_keys`).
	NotOneLine,
	/// Not `TYPE BASE64 [COMMENT]` with a key type sshd accepts.
	UnknownType,
	/// The base64 part does not decode, or its blob is not a key of the named type.
	BadKeyData,
}

/// Checks `key` is one OpenSSH public key line, `TYPE BASE64 [COMMENT]`, as `ssh-keygen`
/// writes it to `id_*.pub`: a known type whose blob parses as that type's key. Options
/// (`command="…"` and the like) are refused: the line must start with the type.
pub fn check_ssh_public_key(key: &[u8]) -> Result<(), SshKeyError> {
	if key.is_empty() || !key.iter().all(|b| (0x20..0x7f).contains(b)) {
		return Err(SshKeyError::NotOneLine);
	}
	let mut parts = key.splitn(3, |b| *b == b' ');
	let key_type = parts.next().unwrap_or_default();
	let data = parts.next().ok_or(SshKeyError::UnknownType)?;
	let shape = KEY_TYPES
		.iter()
		.find(|(name, _)| *name == key_type)
		.map(|(_, shape)| *shape)
		.ok_or(SshKeyError::UnknownType)?;
	let blob = base64_decode(data).ok_or(SshKeyError::BadKeyData)?;
	check_blob(&blob, key_type, shape).ok_or(SshKeyError::BadKeyData)
}

/// The key blob of a checked key line (what OpenSSH's `SHA256:` fingerprints hash).
pub fn ssh_key_blob(key: &[u8]) -> Option<Vec<u8>> {
	check_ssh_public_key(key).ok()?;
	base64_decode(key.split(|b| *b == b' ').nth(1)?)
}

/// Whether `key` is an x25519 public key a secret can be sealed to: not one of the points of
/// small order (libsodium's list, top bit ignored), which would seal to a key anyone knows.
pub fn is_valid_seal_key(key: &[u8; 32]) -> bool {
	const SMALL_ORDER: [[u8; 32]; 7] = [
		[0; 32],
		[
			1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0,
		],
		[
			0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
			0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
			0x5f, 0x49, 0xb8, 0x00,
		],
		[
			0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83,
			0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd,
			0xd0, 0x9f, 0x11, 0x57,
		],
		p_plus(0xec),
		p_plus(0xed),
		p_plus(0xee),
	];
	/// 2^255 - 19 - 1, p and p + 1, little-endian: first byte `low`, then 0xff…, top 0x7f.
	const fn p_plus(low: u8) -> [u8; 32] {
		let mut bytes = [0xff; 32];
		bytes[0] = low;
		bytes[31] = 0x7f;
		bytes
	}
	let mut masked = *key;
	masked[31] &= 0x7f;
	!SMALL_ORDER.contains(&masked)
}

/// Reads SSH wire-format fields (RFC 4251): a `string` is a big-endian u32 length and bytes.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
	fn string(&mut self) -> Option<&'a [u8]> {
		let (len, rest) = self.0.split_first_chunk::<4>()?;
		let len = u32::from_be_bytes(*len) as usize;
		if rest.len() < len {
			return None;
		}
		let (value, rest) = rest.split_at(len);
		self.0 = rest;
		Some(value)
	}
	fn done(&self) -> bool {
		self.0.is_empty()
	}
}

fn check_blob(blob: &[u8], key_type: &[u8], shape: KeyShape) -> Option<()> {
	let mut wire = Wire(blob);
	if wire.string()? != key_type {
		return None;
	}
	let ok = match shape {
		KeyShape::Ed25519 => wire.string()?.len() == 32,
		KeyShape::SkEd25519 => wire.string()?.len() == 32 && !wire.string()?.is_empty(),
		KeyShape::Rsa => {
			let e = positive_mpint(wire.string()?)?;
			let n = positive_mpint(wire.string()?)?;
			// A zero modulus (an empty mpint) has no first byte: refused, not indexed.
			let bits = n.len() * 8 - n.first()?.leading_zeros() as usize;
			!e.is_empty() && bits >= MIN_RSA_MODULUS_BITS
		},
		KeyShape::Ecdsa(curve, point_len) => {
			let point = (wire.string()? == curve).then(|| wire.string())??;
			point.len() == point_len && point[0] == 4
		},
		KeyShape::SkEcdsa => {
			let point = (wire.string()? == b"nistp256").then(|| wire.string())??;
			point.len() == 65 && point[0] == 4 && !wire.string()?.is_empty()
		},
	};
	(ok && wire.done()).then_some(())
}

/// The magnitude of an RFC 4251 `mpint` that is positive and minimally encoded (a zero byte
/// only before a byte with its top bit set), without that byte; `None` otherwise. Zero is empty.
fn positive_mpint(bytes: &[u8]) -> Option<&[u8]> {
	match bytes {
		[] => Some(bytes),
		[0, next, ..] if next & 0x80 != 0 => Some(&bytes[1..]),
		[first, ..] if *first != 0 && first & 0x80 == 0 => Some(bytes),
		_ => None,
	}
}

/// Standard base64 with padding (RFC 4648), as OpenSSH writes key blobs.
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
	fn value(c: u8) -> Option<u32> {
		Some(match c {
			b'A'..=b'Z' => c - b'A',
			b'a'..=b'z' => c - b'a' + 26,
			b'0'..=b'9' => c - b'0' + 52,
			b'+' => 62,
			b'/' => 63,
			_ => return None,
		} as u32)
	}
	if text.is_empty() || !text.len().is_multiple_of(4) {
		return None;
	}
	let padding = text.iter().rev().take_while(|c| **c == b'=').count();
	if padding > 2 {
		return None;
	}
	let mut out = Vec::with_capacity(text.len() / 4 * 3);
	let body = &text[..text.len() - padding];
	for chunk in body.chunks(4) {
		let mut acc = 0u32;
		for c in chunk {
			acc = (acc << 6) | value(*c)?;
		}
		let bytes = acc << (6 * (4 - chunk.len() as u32));
		let keep = chunk.len() * 6 / 8;
		// A short last chunk must not carry bits the padding drops.
		if chunk.len() < 4 && bytes & (0x00ff_ffff >> (8 * keep)) != 0 {
			return None;
		}
		out.extend_from_slice(&bytes.to_be_bytes()[1..1 + keep]);
	}
	Some(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	// Written by `ssh-keygen -t ed25519|rsa|ecdsa`.
	const ED25519: &[u8] =
		b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICY1kpiKjTJqAo5bRGR0vyaIKLC6nMgZRzySa3EtrCtT renter@laptop";
	const ECDSA: &[u8] = b"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKYRzVhX59hXq8QtQR2wJbP1GzU9w/aiJvIhZI0WmIyGnBltWPVgc7uJL7j91Yky1ST1EEkgWBaG1IzwYhKdet8=";
	const RSA: &[u8] = b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCyUVboNHqoKxHGCJj+ukg83rrZNr2zEN6WQw3kqDiEsLkU37ZF4eree4EqFHl3+iq5TUieuMVlRgrLa5pu4rMjshqQbMyjhEUOXlmuUKK8oZvV7LowSM1Wav4kSZTt73Khb0jnvZqpQAQBVP5sku3lN712gsviWTLALDLggI0adGouHqLE5xcm/52CQUgy+ojNZTFSDuhbetUmtfxtsTCAIUqAYYn2V4vt0n5Gi/QQCP2gsn5/KQuh0PKhPh7yDqFjiP+CvqncGfY8j11x6XSy4JETstrLPKgzK5I0N5zbqCRuycEbDHmikTchQpllG5Kz55uuRe8pMXUMdeBI4+T/ x";

	#[test]
	fn keys_as_ssh_keygen_writes_them_pass() {
		assert_eq!(check_ssh_public_key(ED25519), Ok(()));
		assert_eq!(check_ssh_public_key(&ED25519[..ED25519.len() - 14]), Ok(()), "no comment");
		assert_eq!(check_ssh_public_key(ECDSA), Ok(()));
		assert_eq!(check_ssh_public_key(RSA), Ok(()));
		assert_eq!(ssh_key_blob(ED25519).map(|b| b.len()), Some(51));
		assert_eq!(check_ssh_public_key(EXAMPLE_SSH_KEY), Ok(()));
		let longest = crate::market::AccessSpec::longest();
		assert_eq!(longest.ssh_public_key.len(), crate::market::MAX_SSH_KEY_LEN as usize);
		assert_eq!(longest.check(), Ok(()));
		assert_eq!(crate::market::AccessSpec::example().check(), Ok(()));
	}

	#[test]
	fn malformed_keys_are_refused_with_their_reason() {
		let mut two_lines = ED25519.to_vec();
		two_lines.extend_from_slice(b"\nssh-ed25519 AAAA");
		assert_eq!(check_ssh_public_key(&two_lines), Err(SshKeyError::NotOneLine));
		assert_eq!(check_ssh_public_key(b""), Err(SshKeyError::NotOneLine));
		assert_eq!(check_ssh_public_key(b"hello"), Err(SshKeyError::UnknownType));
		let with_options = [b"command=\"sh\" ".as_slice(), ED25519].concat();
		assert_eq!(check_ssh_public_key(&with_options), Err(SshKeyError::UnknownType));
		assert_eq!(
			check_ssh_public_key(b"ssh-dss AAAAB3NzaC1kc3M="),
			Err(SshKeyError::UnknownType)
		);
		// The type word says ed25519, the blob says otherwise.
		let renamed = [b"ssh-rsa ".as_slice(), &ED25519[12..]].concat();
		assert_eq!(check_ssh_public_key(&renamed), Err(SshKeyError::BadKeyData));
		// One base64 character changed, one dropped, a short key.
		let mut flipped = ED25519.to_vec();
		flipped[40] = b'!';
		assert_eq!(check_ssh_public_key(&flipped), Err(SshKeyError::BadKeyData));
		let dropped = [&ED25519[..40], &ED25519[41..]].concat();
		assert_eq!(check_ssh_public_key(&dropped), Err(SshKeyError::BadKeyData));
		assert_eq!(
			check_ssh_public_key(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA="),
			Err(SshKeyError::BadKeyData)
		);
	}

	#[test]
	fn rsa_numbers_must_be_positive_minimal_and_the_modulus_1024_bits() {
		assert_eq!(positive_mpint(&[0, 0x80, 1]), Some(&[0x80, 1][..]));
		assert_eq!(positive_mpint(&[0x7f]), Some(&[0x7f][..]));
		assert_eq!(positive_mpint(&[]), Some(&[][..]));
		assert_eq!(positive_mpint(&[0x80]), None, "negative");
		assert_eq!(positive_mpint(&[0, 0x7f]), None, "a needless zero byte");
		let rsa = |e: &[u8], n: &[u8]| {
			let mut blob = Vec::new();
			for field in [&b"ssh-rsa"[..], e, n] {
				blob.extend_from_slice(&(field.len() as u32).to_be_bytes());
				blob.extend_from_slice(field);
			}
			check_blob(&blob, b"ssh-rsa", KeyShape::Rsa)
		};
		let mut n = vec![0u8; 129];
		n[1] = 0x80; // 1,024 bits, with the zero byte its top bit needs
		assert_eq!(rsa(&[1, 0, 1], &n), Some(()));
		n[1] = 0x40; // 1,023 bits, and a needless zero byte
		assert_eq!(rsa(&[1, 0, 1], &n), None);
		assert_eq!(rsa(&[1, 0, 1], &n[1..]), None, "1,023 bits");
		assert_eq!(rsa(&[], &[0x7f; 200]), None, "no exponent");
		// Once a panic (an index into the empty modulus) that trapped the runtime at `rent`.
		assert_eq!(rsa(&[1, 0, 1], &[]), None, "a zero modulus");
	}

	#[test]
	fn base64_decodes_as_rfc_4648_says() {
		assert_eq!(base64_decode(b"Zm9vYmFy").as_deref(), Some(&b"foobar"[..]));
		assert_eq!(base64_decode(b"Zm9vYg==").as_deref(), Some(&b"foob"[..]));
		assert_eq!(base64_decode(b"Zm9vYmE=").as_deref(), Some(&b"fooba"[..]));
		assert_eq!(base64_decode(b"Zm9vYh=="), None, "bits past the padding");
		assert_eq!(base64_decode(b"Zm9"), None);
		assert_eq!(base64_decode(b"Zm9vY==="), None);
	}

	#[test]
	fn small_order_seal_keys_are_refused() {
		assert!(!is_valid_seal_key(&[0; 32]));
		let mut one = [0; 32];
		one[0] = 1;
		assert!(!is_valid_seal_key(&one));
		one[31] = 0x80; // the ignored top bit does not make it a different key
		assert!(!is_valid_seal_key(&one));
		assert!(is_valid_seal_key(&[9; 32]));
	}
}
