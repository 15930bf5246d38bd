//! The machine (worker) key: an sr25519 key in a file only its owner can read, optionally
//! encrypted with a passphrase (scrypt, then XChaCha20-Poly1305). It signs heartbeats,
//! challenge answers and lease attestations, and holds no funds.

use std::path::{Path, PathBuf};

use gpux_client::keyfile;
pub use gpux_client::keyfile::passphrase;
use gpux_primitives::{
	attestation::{key_possession_message, WorkerStatement},
	AccountId,
};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};

use crate::error::Error;

/// What to do about a missing machine key.
const MISSING: &str = "; create it with `gpux-worker init`";

/// The machine key, loaded.
pub struct MachineKey {
	pair: sr25519::Pair,
}

impl MachineKey {
	/// Creates a new key at `path` (mode 0600, parent directories 0700), encrypted if a
	/// passphrase is given. Refuses to overwrite an existing key: losing it means
	/// re-registering the machine.
	pub fn create(path: &Path, passphrase: Option<&str>) -> Result<Self, Error> {
		let (pair, seed) = sr25519::Pair::generate();
		keyfile::create(
			path,
			&seed,
			passphrase,
			"; it is this machine's key (delete it only to re-register)",
		)?;
		Ok(Self { pair })
	}

	/// Rewrites the plain key at `path` encrypted under `passphrase` (through a new file
	/// renamed over it, so a crash leaves the old or the new, never neither).
	pub fn encrypt_file(path: &Path, passphrase: &str) -> Result<Self, Error> {
		let seed = keyfile::encrypt_in_place(path, passphrase)?;
		Ok(Self { pair: sr25519::Pair::from_seed(&seed) })
	}

	/// Loads the key at `path` (with `passphrase` if it is encrypted), refusing a file others
	/// can read or one that is not a key.
	pub fn load(path: &Path, passphrase: Option<&str>) -> Result<Self, Error> {
		let seed = keyfile::read_seed(path, passphrase, MISSING)?;
		Ok(Self { pair: sr25519::Pair::from_seed(&seed) })
	}

	#[cfg(test)]
	fn from_text(text: &str) -> Result<Self, String> {
		keyfile::plain_seed(text).map(|seed| Self { pair: sr25519::Pair::from_seed(&seed) })
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
	gpux_client::format::parse_account(text).map_err(Error::Config)
}

/// The keystore path to use: the flag, else the config file's, else the default.
pub fn keystore_path(flag: Option<PathBuf>, file: Option<PathBuf>) -> PathBuf {
	flag.or(file).unwrap_or_else(crate::config::default_keystore)
}

#[cfg(test)]
mod tests {
	use std::os::unix::fs::PermissionsExt;

	use gpux_client::keyfile::ENCRYPTED;

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
