//! Key files: one 32-byte seed per file, only its owner may read it, optionally encrypted with a
//! passphrase (scrypt, then XChaCha20-Poly1305). The worker keeps its machine key so; `gpux`
//! reads an account key so.
//!
//! Plain: `0x` and 64 hex digits. Encrypted: `gpux-key-v1 <log₂ N> <salt> <nonce> <sealed>`.

use std::{
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::Path,
};

use chacha20poly1305::{
	aead::{Aead, KeyInit},
	XChaCha20Poly1305, XNonce,
};
use crypto_box::aead::{rand_core::RngCore, OsRng};

use crate::error::Error;

/// The first word of an encrypted key file.
pub const ENCRYPTED: &str = "gpux-key-v1";
/// scrypt's cost, log₂ N (r = 8, p = 1): about 32 MiB and a tenth of a second per try.
const SCRYPT_LOG_N: u8 = 15;

/// The passphrase of an encrypted key: the first line of `file` when one is named
/// (`--key-passphrase-file`, e.g. a systemd credential), else `GPUX_KEY_PASSPHRASE`; `None`
/// when neither is given.
pub fn passphrase(file: Option<&Path>) -> Result<Option<String>, Error> {
	if let Some(file) = file {
		owner_only(file, "")?;
		let text = std::fs::read_to_string(file).map_err(|e| Error::keystore(file, e))?;
		let phrase = text.lines().next().unwrap_or_default().to_string();
		if phrase.is_empty() {
			return Err(Error::Keystore(format!(
				"{}: the passphrase file is empty",
				file.display()
			)));
		}
		return Ok(Some(phrase));
	}
	match std::env::var("GPUX_KEY_PASSPHRASE") {
		Ok(phrase) if phrase.is_empty() => {
			Err(Error::Keystore("GPUX_KEY_PASSPHRASE is set but empty".into()))
		},
		Ok(phrase) => Ok(Some(phrase)),
		Err(_) => Ok(None),
	}
}

/// Refuses a secret file others can read; `missing` is appended to the error of one that
/// does not exist (how to make it).
pub fn owner_only(path: &Path, missing: &str) -> Result<(), Error> {
	let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
		std::io::ErrorKind::NotFound => {
			Error::Keystore(format!("{} does not exist{missing}", path.display()))
		},
		_ => Error::keystore(path, e),
	})?;
	let mode = meta.permissions().mode() & 0o777;
	if mode & 0o077 != 0 {
		return Err(Error::Keystore(format!(
			"{} is readable by others (mode {mode:o}); run `chmod 600 {}`",
			path.display(),
			path.display()
		)));
	}
	Ok(())
}

fn derive(passphrase: &str, salt: &[u8], log_n: u8) -> Result<XChaCha20Poly1305, String> {
	let params = scrypt::Params::new(log_n, 8, 1, 32).map_err(|e| format!("scrypt: {e}"))?;
	let mut key = [0u8; 32];
	scrypt::scrypt(passphrase.as_bytes(), salt, &params, &mut key)
		.map_err(|e| format!("scrypt: {e}"))?;
	Ok(XChaCha20Poly1305::new(&key.into()))
}

/// The key file's text for `seed`: hex, or encrypted under `passphrase`.
pub fn key_text(seed: &[u8; 32], passphrase: Option<&str>) -> Result<String, Error> {
	let Some(passphrase) = passphrase else { return Ok(format!("0x{}", hex::encode(seed))) };
	let (mut salt, mut nonce) = ([0u8; 16], [0u8; 24]);
	OsRng.fill_bytes(&mut salt);
	OsRng.fill_bytes(&mut nonce);
	let sealed = derive(passphrase, &salt, SCRYPT_LOG_N)
		.map_err(Error::Keystore)?
		.encrypt(XNonce::from_slice(&nonce), &seed[..])
		.map_err(|_| Error::Keystore("encrypting the key failed".into()))?;
	Ok(format!(
		"{ENCRYPTED} {SCRYPT_LOG_N} {} {} {}",
		hex::encode(salt),
		hex::encode(nonce),
		hex::encode(sealed)
	))
}

/// The seed in an encrypted key file's text.
fn decrypt(text: &str, passphrase: Option<&str>) -> Result<[u8; 32], String> {
	let words: Vec<&str> = text.split_whitespace().collect();
	let [_, log_n, salt, nonce, sealed] = words[..] else {
		return Err("not a key: a damaged encrypted key".into());
	};
	let passphrase = passphrase.ok_or(
		"the key is encrypted: give its passphrase in GPUX_KEY_PASSPHRASE or --key-passphrase-file",
	)?;
	let hex =
		|h: &str| hex::decode(h).map_err(|_| "not a key: a damaged encrypted key".to_string());
	let (salt, nonce, sealed) = (hex(salt)?, hex(nonce)?, hex(sealed)?);
	let log_n: u8 = log_n.parse().map_err(|_| "not a key: a damaged encrypted key")?;
	if nonce.len() != 24 || log_n > 20 {
		return Err("not a key: a damaged encrypted key".into());
	}
	let seed = derive(passphrase, &salt, log_n)?
		.decrypt(XNonce::from_slice(&nonce), &sealed[..])
		.map_err(|_| "wrong passphrase (or a damaged key file)")?;
	seed.try_into().map_err(|_| "not a key: expected 32 bytes".to_string())
}

/// The seed in a plain key file's text.
pub fn plain_seed(text: &str) -> Result<[u8; 32], String> {
	let hex = text.strip_prefix("0x").ok_or("not a key: expected 0x and 64 hex digits")?;
	let bytes = hex::decode(hex).map_err(|_| "not a key: expected 64 hex digits")?;
	bytes.try_into().map_err(|_| "not a key: expected 32 bytes".to_string())
}

/// The text of the key file at `path`, which only its owner may read.
pub fn read(path: &Path, missing: &str) -> Result<String, Error> {
	owner_only(path, missing)?;
	let text = std::fs::read_to_string(path).map_err(|e| Error::keystore(path, e))?;
	Ok(text.trim().to_string())
}

/// The seed in the key file at `path` (with `passphrase` if it is encrypted).
pub fn read_seed(path: &Path, passphrase: Option<&str>, missing: &str) -> Result<[u8; 32], Error> {
	let text = read(path, missing)?;
	if text.starts_with(ENCRYPTED) { decrypt(&text, passphrase) } else { plain_seed(&text) }
		.map_err(|why| Error::Keystore(format!("{}: {why}", path.display())))
}

/// Writes a new key file for `seed` at `path` (mode 0600, a parent directory it makes 0700),
/// encrypted if a passphrase is given; refuses to overwrite one (`exists` says why it matters).
pub fn create(
	path: &Path,
	seed: &[u8; 32],
	passphrase: Option<&str>,
	exists: &str,
) -> Result<(), Error> {
	// Only a directory made here is narrowed to its owner (never an existing one, say $HOME).
	if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
		std::fs::create_dir_all(dir).map_err(|e| Error::keystore(path, e))?;
		let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
	}
	let text = key_text(seed, passphrase)?;
	let mut file =
		std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(
			|e| match e.kind() {
				std::io::ErrorKind::AlreadyExists => {
					Error::Keystore(format!("{} exists already{exists}", path.display()))
				},
				_ => Error::keystore(path, e),
			},
		)?;
	writeln!(file, "{text}").map_err(|e| Error::keystore(path, e))
}

/// Rewrites the plain key at `path` encrypted under `passphrase` (through a new file renamed
/// over it, so a crash leaves the old or the new, never neither); resolves with its seed.
pub fn encrypt_in_place(path: &Path, passphrase: &str) -> Result<[u8; 32], Error> {
	let text = read(path, "")?;
	if text.starts_with(ENCRYPTED) {
		return Err(Error::Keystore(format!("{} is encrypted already", path.display())));
	}
	let seed =
		plain_seed(&text).map_err(|why| Error::Keystore(format!("{}: {why}", path.display())))?;
	let mut name = path.file_name().unwrap_or_default().to_os_string();
	name.push(".encrypting");
	let new = path.with_file_name(name);
	let _ = std::fs::remove_file(&new);
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(&new)
		.map_err(|e| Error::keystore(&new, e))?;
	writeln!(file, "{}", key_text(&seed, Some(passphrase))?)
		.and_then(|()| file.sync_all())
		.map_err(|e| Error::keystore(&new, e))?;
	std::fs::rename(&new, path).map_err(|e| Error::keystore(path, e))?;
	// The rename itself reaches the disk with its directory.
	if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
		let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
	}
	Ok(seed)
}
