//! What a client can run into, each with a message its user can act on.

/// Errors of the node connection, key files and transactions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The node could not be reached or answered something unexpected.
	#[error("node {0}: {1}")]
	Node(String, String),
	/// A key file is missing, unreadable, open to others or malformed.
	#[error("keystore: {0}")]
	Keystore(String),
	/// The pool refused the transaction before it reached a block.
	#[error("the node refused the transaction: {0}")]
	Refused(String),
	/// The transaction was included and its call failed.
	#[error("{0}")]
	Failed(String),
	/// The transaction left for the pool, and what became of it is not known: it may be in a
	/// block (or still get into one until its era ends). Check before sending it again.
	#[error("{0}")]
	Unconfirmed(String),
}

impl Error {
	/// A key file I/O error at `path`.
	pub fn keystore(path: &std::path::Path, e: std::io::Error) -> Self {
		Self::Keystore(format!("{}: {e}", path.display()))
	}
}
