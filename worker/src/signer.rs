//! The machine (worker) key: an sr25519 key in a file only its owner can read, optionally
//! encrypted with a passphrase (scrypt, then XChaCha20-Poly1305). It signs heartbeats,
//! challenge answers and lease attestations, and holds no funds.

use std::{
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
};

use chacha20poly1305::{
	aead::{Aead, KeyInit},
	XChaCha20Poly1305, XNonce,
};
use crypto_box::aead::{rand_core::RngCore, OsRng};
use gpux_primitives::{
	attestation::{key_possession_message, WorkerStatement},
	AccountId,
};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};

use crate::error::Error;

/// The first word of an encrypted key file.
const ENCRYPTED: &str = "gpux-key-v1";
/// scrypt's cost, log₂ N (r = 8, p = 1): about 32 MiB and a tenth of a second per try.
const SCRYPT_LOG_N: u8 = 15;

/// The passphrase of an encrypted key: `GPUX_KEY_PASSPHRASE`, else the first line of `file`
/// (`--key-passphrase-file`, e.g. a systemd credential); `None` when neither is given.
pub fn passphrase(file: Option<&Path>) -> Result<Option<String>, Error> {
	if let Ok(phrase) = std::env::var("GPUX_KEY_PASSPHRASE") {
		if phrase.is_empty() {
			return Err(Error::Keystore("GPUX_KEY_PASSPHRASE is set but empty".into()));
		}
		return Ok(Some(phrase));
	}
	let Some(file) = file else { return Ok(None) };
	owner_only(file)?;
	let text = std::fs::read_to_string(file).map_err(|e| Error::keystore(file, e))?;
	let phrase = text.lines().next().unwrap_or_default().to_string();
	if phrase.is_empty() {
		return Err(Error::Keystore(format!("{}: the passphrase file is empty", file.display())));
	}
	Ok(Some(phrase))
}

/// Refuses a secret file others can read.
fn owner_only(path: &Path) -> Result<(), Error> {
	let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
		std::io::ErrorKind::NotFound => Error::Keystore(format!(
			"{} does not exist; create it with `gpux-worker init`",
			path.display()
		)),
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
fn key_text(seed: &[u8; 32], passphrase: Option<&str>) -> Result<String, Error> {
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

/// The machine key, loaded.
pub struct MachineKey {
	pair: sr25519::Pair,
}

impl MachineKey {
	/// Creates a new key at `path` (mode 0600, parent directories 0700), encrypted if a
	/// passphrase is given. Refuses to overwrite an existing key: losing it means
	/// re-registering the machine.
	pub fn create(path: &Path, passphrase: Option<&str>) -> Result<Self, Error> {
		if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
			std::fs::create_dir_all(dir).map_err(|e| Error::keystore(path, e))?;
			let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
		}
		let (pair, seed) = sr25519::Pair::generate();
		let text = key_text(&seed, passphrase)?;
		let mut file = std::fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(path)
			.map_err(|e| match e.kind() {
				std::io::ErrorKind::AlreadyExists => Error::Keystore(format!(
					"{} exists already; it is this machine's key (delete it only to re-register)",
					path.display()
				)),
				_ => Error::keystore(path, e),
			})?;
		writeln!(file, "{text}").map_err(|e| Error::keystore(path, e))?;
		Ok(Self { pair })
	}

	/// Rewrites the plain key at `path` encrypted under `passphrase` (through a new file
	/// renamed over it, so a crash leaves the old or the new, never neither).
	pub fn encrypt_file(path: &Path, passphrase: &str) -> Result<Self, Error> {
		let text = Self::read(path)?;
		if text.starts_with(ENCRYPTED) {
			return Err(Error::Keystore(format!("{} is encrypted already", path.display())));
		}
		let seed = Self::plain_seed(&text)
			.map_err(|why| Error::Keystore(format!("{}: {why}", path.display())))?;
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
		Ok(Self { pair: sr25519::Pair::from_seed(&seed) })
	}

	/// Loads the key at `path` (with `passphrase` if it is encrypted), refusing a file others
	/// can read or one that is not a key.
	pub fn load(path: &Path, passphrase: Option<&str>) -> Result<Self, Error> {
		let text = Self::read(path)?;
		let seed = if text.starts_with(ENCRYPTED) {
			decrypt(&text, passphrase)
		} else {
			Self::plain_seed(&text)
		}
		.map_err(|why| Error::Keystore(format!("{}: {why}", path.display())))?;
		Ok(Self { pair: sr25519::Pair::from_seed(&seed) })
	}

	/// The text of the key file at `path`, which only its owner may read.
	fn read(path: &Path) -> Result<String, Error> {
		owner_only(path)?;
		let text = std::fs::read_to_string(path).map_err(|e| Error::keystore(path, e))?;
		Ok(text.trim().to_string())
	}

	fn plain_seed(text: &str) -> Result<[u8; 32], String> {
		let hex = text.strip_prefix("0x").ok_or("not a key: expected 0x and 64 hex digits")?;
		let bytes = hex::decode(hex).map_err(|_| "not a key: expected 64 hex digits")?;
		bytes.try_into().map_err(|_| "not a key: expected 32 bytes".to_string())
	}

	#[cfg(test)]
	fn from_text(text: &str) -> Result<Self, String> {
		Self::plain_seed(text).map(|seed| Self { pair: sr25519::Pair::from_seed(&seed) })
	}

	/// The public key, as `registerMachine` takes it.
	pub fn public(&self) -> sr25519::Public {
		self.pair.public()
	}

	/// The public key in hex, for polkadot.js.
	pub fn public_hex(&self) -> String {
		format!("0x{}", hex::encode(self.public().0))
	}

	/// The public key as a GPUX address (it holds no funds; shown to tell keys apart).
	pub fn address(&self) -> String {
		self.public().to_ss58check_with_version(gpux_primitives::SS58_PREFIX.into())
	}

	/// The proof `registerMachine` and `setWorkerKey` take: this key's signature over the
	/// provider's account on the chain with genesis hash `genesis`.
	pub fn prove_possession(&self, provider: &AccountId, genesis: &[u8; 32]) -> sr25519::Signature {
		self.pair.sign(&key_possession_message(genesis, provider))
	}

	/// Signs `statement` for the chain with genesis hash `genesis`.
	pub fn sign(&self, statement: &WorkerStatement, genesis: &[u8; 32]) -> sr25519::Signature {
		self.pair.sign(&statement.signing_message(genesis))
	}
}

/// A provider account given as an SS58 address (any prefix) or 32 bytes of hex.
pub fn parse_account(text: &str) -> Result<AccountId, Error> {
	if let Some(hex) = text.strip_prefix("0x") {
		let bytes: [u8; 32] =
			hex::decode(hex).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
				Error::Config(format!("`{text}` is not an account: expected 64 hex digits"))
			})?;
		return Ok(AccountId::from(bytes));
	}
	AccountId::from_ss58check_with_version(text)
		.map(|(account, _)| account)
		.map_err(|e| Error::Config(format!("`{text}` is not an account address: {e:?}")))
}

/// The keystore path to use: the flag, else the config file's, else the default.
pub fn keystore_path(flag: Option<PathBuf>, file: Option<PathBuf>) -> PathBuf {
	flag.or(file).unwrap_or_else(crate::config::default_keystore)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn temp_path(name: &str) -> PathBuf {
		let dir =
			std::env::temp_dir().join(format!("gpux-worker-test-{}-{name}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		dir.join("keys").join("machine.key")
	}

	#[test]
	fn a_possession_proof_verifies_for_its_provider_and_chain_only() {
		use sp_runtime::traits::Verify;
		let key = MachineKey::from_text(&format!("0x{}", "11".repeat(32))).unwrap();
		let alice = parse_account("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").unwrap();
		let bob = parse_account(&format!("0x{}", "22".repeat(32))).unwrap();
		let proof = key.prove_possession(&alice, &[1; 32]);
		let verifies = |who: &AccountId, genesis: &[u8; 32]| {
			proof.verify(&key_possession_message(genesis, who)[..], &key.public())
		};
		assert!(verifies(&alice, &[1; 32]));
		assert!(!verifies(&bob, &[1; 32]));
		assert!(!verifies(&alice, &[2; 32]));
		assert!(parse_account("not-an-address").is_err());
		assert!(parse_account("0x1234").is_err());
	}

	#[test]
	fn init_creates_an_owner_only_key_that_loads_back() {
		let path = temp_path("create");
		let key = MachineKey::create(&path, None).unwrap();
		let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode, 0o600);
		assert_eq!(MachineKey::load(&path, None).unwrap().public(), key.public());
		let again = MachineKey::create(&path, None).err().unwrap().to_string();
		assert!(again.contains("exists already"), "{again}");
	}

	#[test]
	fn an_encrypted_key_loads_only_with_its_passphrase() {
		let path = temp_path("encrypted");
		let key = MachineKey::create(&path, Some("correct horse")).unwrap();
		let text = std::fs::read_to_string(&path).unwrap();
		assert!(text.starts_with(ENCRYPTED) && !text.contains("0x"), "{text}");
		assert_eq!(MachineKey::load(&path, Some("correct horse")).unwrap().public(), key.public());
		let wrong = MachineKey::load(&path, Some("battery staple")).err().unwrap().to_string();
		assert!(wrong.contains("wrong passphrase"), "{wrong}");
		let none = MachineKey::load(&path, None).err().unwrap().to_string();
		assert!(none.contains("GPUX_KEY_PASSPHRASE"), "{none}");
		// A flipped byte of the ciphertext is caught, not loaded as another key.
		let mut damaged = text.trim().to_string();
		let last = damaged.pop().unwrap();
		damaged.push(if last == '0' { '1' } else { '0' });
		std::fs::write(&path, damaged).unwrap();
		assert!(MachineKey::load(&path, Some("correct horse")).is_err());

		// A plain key encrypted in place keeps its public key.
		let plain = temp_path("to-encrypt");
		let before = MachineKey::create(&plain, None).unwrap();
		let after = MachineKey::encrypt_file(&plain, "pass").unwrap();
		assert_eq!(before.public(), after.public());
		assert_eq!(MachineKey::load(&plain, Some("pass")).unwrap().public(), before.public());
		let mode = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode, 0o600);
		assert!(MachineKey::encrypt_file(&plain, "pass").is_err(), "encrypted twice");
	}

	#[test]
	fn a_readable_or_malformed_keystore_is_refused_clearly() {
		let path = temp_path("bad");
		MachineKey::create(&path, None).unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
		let open = MachineKey::load(&path, None).err().unwrap().to_string();
		assert!(open.contains("chmod 600"), "{open}");
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
		std::fs::write(&path, "hello").unwrap();
		let garbage = MachineKey::load(&path, None).err().unwrap().to_string();
		assert!(garbage.contains("not a key"), "{garbage}");
		let missing = MachineKey::load(&temp_path("missing"), None).err().unwrap().to_string();
		assert!(missing.contains("gpux-worker init"), "{missing}");
	}

	#[test]
	fn signatures_verify_against_the_public_key() {
		use sp_runtime::traits::Verify;
		let key = MachineKey::from_text(&format!("0x{}", "11".repeat(32))).unwrap();
		let statement = WorkerStatement::LeaseEnded { lease: 1, digest: [0; 32] };
		let signature = key.sign(&statement, &[5; 32]);
		assert!(signature.verify(&statement.signing_message(&[5; 32])[..], &key.public()));
	}
}
