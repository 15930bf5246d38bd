//! Secrets for the renter, sealed to its `sealKey`: a libsodium sealed box (`crypto_box_seal`,
//! an ephemeral x25519 key, XSalsa20-Poly1305), which anyone can make and only the holder of
//! the seal key's secret half can open (docs/access.md shows the one-liner).

use crypto_box::{aead::OsRng, PublicKey};

use crate::error::Error;

/// Seals `secret` to the renter's x25519 public key.
pub fn seal(seal_key: &[u8; 32], secret: &[u8]) -> Result<Vec<u8>, Error> {
	PublicKey::from(*seal_key)
		.seal(&mut OsRng, secret)
		.map_err(|_| Error::Provision("sealing the Jupyter token failed".into()))
}

/// A fresh token: 24 random bytes in hex (48 characters; 96 bytes once sealed).
pub fn new_token() -> String {
	let mut bytes = [0u8; 24];
	crypto_box::aead::rand_core::RngCore::fill_bytes(&mut OsRng, &mut bytes);
	hex::encode(bytes)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crypto_box::SecretKey;

	#[test]
	fn only_the_seal_keys_holder_opens_the_token() {
		let renter = SecretKey::generate(&mut OsRng);
		let token = new_token();
		assert_eq!(token.len(), 48);
		assert_ne!(token, new_token());
		let sealed = seal(renter.public_key().as_bytes(), token.as_bytes()).unwrap();
		assert_eq!(sealed.len(), 48 + token.len());
		assert!(sealed.len() <= gpux_primitives::attestation::MAX_SEALED_TOKEN_LEN as usize);
		assert_eq!(renter.unseal(&sealed).unwrap(), token.as_bytes());
		let someone = SecretKey::generate(&mut OsRng);
		assert!(someone.unseal(&sealed).is_err());
	}
}
