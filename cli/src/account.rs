//! The signing account: a secret URI (`--suri`, `GPUX_SURI`) or a key file (`--key-file`).

use gpux_client::keyfile;
use gpux_primitives::AccountId;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};

use crate::{Error, KeyArgs};

/// The account's key pair.
pub fn signer(key: &KeyArgs) -> Result<sr25519::Pair, Error> {
	if let Some(suri) = &key.suri {
		return sr25519::Pair::from_string(suri, None)
			.map_err(|e| Error::Input(format!("--suri is not a secret URI: {e:?}")));
	}
	if let Some(path) = &key.key_file {
		let passphrase = keyfile::passphrase(key.key_passphrase_file.as_deref())?;
		let seed = keyfile::read_seed(path, passphrase.as_deref(), "")?;
		return Ok(sr25519::Pair::from_seed(&seed));
	}
	Err(Error::Input(
		"no account to sign with: give --suri (or GPUX_SURI) or --key-file (or GPUX_KEY_FILE)"
			.into(),
	))
}

/// The account a read is about: `given` (an address or `0x` and 32 bytes), else the signer's.
pub fn account(key: &KeyArgs, given: Option<&str>) -> Result<AccountId, Error> {
	match given {
		Some(text) => parse(text),
		None => Ok(AccountId::from(signer(key)?.public())),
	}
}

/// An account from an SS58 address (any prefix) or `0x` and 64 hex digits.
pub fn parse(text: &str) -> Result<AccountId, Error> {
	if let Some(hex) = text.strip_prefix("0x") {
		let bytes: [u8; 32] =
			hex::decode(hex).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
				Error::Input(format!("`{text}` is not an account: expected 64 hex digits"))
			})?;
		return Ok(AccountId::from(bytes));
	}
	AccountId::from_ss58check_with_version(text)
		.map(|(account, _)| account)
		.map_err(|e| Error::Input(format!("`{text}` is not an account address: {e:?}")))
}
