//! The signing account: a secret URI (`--suri`, `GPUX_SURI`) or a key file (`--key-file`).

use std::sync::OnceLock;

use gpux_client::keyfile;
use gpux_primitives::AccountId;
use sp_core::{sr25519, Pair};

use crate::{Error, KeyArgs, KeySource};

/// The account's key pair, loaded once per run (an encrypted key file costs an scrypt).
pub fn signer(key: &KeyArgs) -> Result<sr25519::Pair, Error> {
	static SIGNER: OnceLock<sr25519::Pair> = OnceLock::new();
	if let Some(pair) = SIGNER.get() {
		return Ok(pair.clone());
	}
	let pair = load(key)?;
	Ok(SIGNER.get_or_init(|| pair).clone())
}

fn load(key: &KeyArgs) -> Result<sr25519::Pair, Error> {
	let use_file = match (&key.suri, &key.key_file, key.given) {
		(Some(_), Some(_), None) => {
			return Err(Error::Input(
				"both GPUX_SURI and GPUX_KEY_FILE are set: unset one, or name one on the command line"
					.into(),
			))
		},
		(_, Some(_), Some(KeySource::KeyFile)) | (None, Some(_), _) => true,
		(Some(_), _, _) => false,
		(None, None, _) => {
			return Err(Error::Input(
				"no account to sign with: give --key-file (or GPUX_KEY_FILE), or GPUX_SURI (or --suri, which other users can see in the process list)"
					.into(),
			))
		},
	};
	match (&key.suri, &key.key_file) {
		(_, Some(path)) if use_file => {
			let passphrase = keyfile::passphrase(key.key_passphrase_file.as_deref())?;
			let seed = keyfile::read_seed(path, passphrase.as_deref(), "")?;
			Ok(sr25519::Pair::from_seed(&seed))
		},
		(Some(suri), _) => sr25519::Pair::from_string(suri, None)
			.map_err(|e| Error::Input(format!("the secret URI is not one: {e:?}"))),
		_ => Err(Error::Input("no account to sign with".into())),
	}
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
	gpux_client::format::parse_account(text).map_err(Error::Input)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn args(suri: bool, file: Option<std::path::PathBuf>, given: Option<KeySource>) -> KeyArgs {
		KeyArgs {
			suri: suri.then(|| "//Alice".to_string()),
			key_file: file,
			key_passphrase_file: None,
			given,
		}
	}

	#[test]
	fn the_command_line_names_the_key_over_the_environment() {
		let path = std::env::temp_dir().join(format!("gpux-cli-key-{}", std::process::id()));
		let _ = std::fs::remove_file(&path);
		keyfile::create(&path, &[0x11; 32], None, "").unwrap();
		let from_file = sr25519::Pair::from_seed(&[0x11; 32]).public();
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap().public();

		// GPUX_SURI exported, --key-file given: the file signs.
		let pair = load(&args(true, Some(path.clone()), Some(KeySource::KeyFile))).unwrap();
		assert_eq!(pair.public(), from_file);
		// GPUX_KEY_FILE exported, --suri given: the URI signs.
		let pair = load(&args(true, Some(path.clone()), Some(KeySource::Suri))).unwrap();
		assert_eq!(pair.public(), alice);
		// Both only in the environment: no guess.
		assert!(matches!(load(&args(true, Some(path.clone()), None)), Err(Error::Input(_))));
		// One alone is used whichever way it came.
		assert_eq!(load(&args(false, Some(path.clone()), None)).unwrap().public(), from_file);
		assert_eq!(load(&args(true, None, None)).unwrap().public(), alice);
		assert!(matches!(load(&args(false, None, None)), Err(Error::Input(_))));
		std::fs::remove_file(&path).unwrap();
	}
}
