//! IPFS content identifiers (CIDs), checked for form: a job's input and output are named by
//! one.

/// Longest CID accepted, bytes of its text form (a CIDv1 with a 64-byte digest in base32 is
/// about 110).
pub const MAX_CID_LEN: u32 = 128;

/// A CID's text form as stored.
pub type Cid = sp_runtime::BoundedVec<u8, sp_core::ConstU32<MAX_CID_LEN>>;

/// Whether `text` is a well-formed CID: a CIDv0 (`Qm…`, base58btc of a 34-byte sha2-256
/// multihash) or a CIDv1 in base32 (`b…`, lower case, no padding): version 1, a codec, and a
/// multihash whose digest length is what it says.
pub fn is_valid_cid(text: &[u8]) -> bool {
	match text.first() {
		Some(b'Q') if text.len() == 46 && text.starts_with(b"Qm") => {
			base58btc(text).is_some_and(|bytes| bytes.len() == 34 && bytes[..2] == [0x12, 0x20])
		},
		Some(b'b') => base32_lower(&text[1..]).is_some_and(|bytes| cid_v1(&bytes)),
		_ => false,
	}
}

/// Version 1, a codec, then a multihash: hash code, digest length, exactly that digest (32
/// bytes for sha2-256, the hash IPFS uses by default).
fn cid_v1(bytes: &[u8]) -> bool {
	let mut rest = bytes;
	let mut next = || -> Option<u64> {
		let (value, used) = varint(rest)?;
		rest = rest.get(used..)?;
		Some(value)
	};
	let (Some(1), Some(_codec), Some(hash), Some(len)) = (next(), next(), next(), next()) else {
		return false;
	};
	const SHA2_256: u64 = 0x12;
	len > 0 && rest.len() as u64 == len && (hash != SHA2_256 || len == 32)
}

/// An unsigned LEB128 varint of at most 9 bytes (multiformats' limit), minimally encoded, and
/// its length.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
	let mut value = 0u64;
	for (i, byte) in bytes.iter().take(9).enumerate() {
		value |= u64::from(byte & 0x7f) << (7 * i);
		if byte & 0x80 == 0 {
			// A trailing zero byte would spell the same number a second way.
			return (i == 0 || *byte != 0).then_some((value, i + 1));
		}
	}
	None
}

/// RFC 4648 base32, lower case, no padding.
fn base32_lower(text: &[u8]) -> Option<alloc::vec::Vec<u8>> {
	let mut out = alloc::vec::Vec::with_capacity(text.len() * 5 / 8);
	let (mut buffer, mut bits) = (0u32, 0u32);
	for c in text {
		let value = match c {
			b'a'..=b'z' => c - b'a',
			b'2'..=b'7' => c - b'2' + 26,
			_ => return None,
		};
		buffer = (buffer << 5) | u32::from(value);
		bits += 5;
		if bits >= 8 {
			bits -= 8;
			out.push((buffer >> bits) as u8);
			buffer &= (1 << bits) - 1;
		}
	}
	// Left-over bits are padding: fewer than a character's five, and zero.
	(bits < 5 && buffer == 0).then_some(out)
}

/// Bitcoin's base58.
fn base58btc(text: &[u8]) -> Option<alloc::vec::Vec<u8>> {
	const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	// Big-endian base-256 digits of the number so far.
	let mut bytes: alloc::vec::Vec<u8> = alloc::vec::Vec::new();
	for c in text {
		let mut carry = ALPHABET.iter().position(|a| a == c)? as u32;
		for byte in bytes.iter_mut().rev() {
			carry += u32::from(*byte) * 58;
			*byte = (carry & 0xff) as u8;
			carry >>= 8;
		}
		while carry > 0 {
			bytes.insert(0, (carry & 0xff) as u8);
			carry >>= 8;
		}
	}
	let zeros = text.iter().take_while(|c| **c == b'1').count();
	let mut out = alloc::vec![0u8; zeros];
	out.extend(bytes);
	Some(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn real_cids_pass_and_near_misses_fail() {
		assert!(is_valid_cid(b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"));
		assert!(is_valid_cid(b"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"));
		assert!(is_valid_cid(b"bafkreidgvpkjawlxz6sffxzwgooowe5yt7i6wsyg236mfoks77nywkptdq"));
		// One character short, one outside the alphabet, a wrong prefix, upper case.
		assert!(!is_valid_cid(b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd"));
		assert!(!is_valid_cid(b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPb0G"));
		assert!(!is_valid_cid(b"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzd"));
		assert!(!is_valid_cid(b"BAFYBEIGDYRZT5SFP7UDM7HU76UH7Y26NF3EFUYLQABF3OCLGTQY55FBZDI"));
		assert!(!is_valid_cid(b"zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7"));
		assert!(!is_valid_cid(b""));
		assert!(!is_valid_cid(b"hello"));
		// A character of padding too many spells the same bytes a second way.
		assert!(!is_valid_cid(b"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdia"));
		// Version 1, raw codec, sha2-256 with a one-byte digest: not a sha2-256 digest.
		assert!(!is_valid_cid(b"bafkreanl"));
		assert_eq!(varint(&[0x80, 0x00]), None, "a non-minimal zero");
		assert_eq!(varint(&[0xac, 0x02]), Some((300, 2)));
	}
}
