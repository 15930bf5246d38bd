//! What a command prints: text for people, or with `--json` one JSON document on stdout; the
//! progress of a transaction on stderr either way, so scripts can read stdout alone.

use std::io::{IsTerminal, Write};

use gpux_client::rpc::Progress;
use serde_json::{json, Value};

pub struct Out {
	json: bool,
	/// stderr is a terminal: progress rewrites one line.
	tty: bool,
}

impl Out {
	pub fn new(json: bool) -> Self {
		Self { json, tty: std::io::stderr().is_terminal() }
	}

	/// Prints the command's result: `text` for people, `value` with `--json`.
	pub fn result(&self, text: impl FnOnce() -> String, value: Value) {
		if self.json {
			println!("{value}");
		} else {
			let text = text();
			if !text.is_empty() {
				println!("{}", text.trim_end());
			}
		}
	}

	/// One line of a transaction's progress, on stderr.
	pub fn progress(&self, stage: &str) {
		let mut err = std::io::stderr();
		if self.tty {
			let _ = write!(err, "\r\x1b[2K{stage}");
		} else {
			let _ = writeln!(err, "{stage}");
		}
		let _ = err.flush();
	}

	/// Reports a transaction's pool progress.
	pub fn pool(&self, progress: Progress) {
		self.progress(match progress {
			Progress::Pooled => "in the pool, waiting for a block…",
			Progress::Broadcast => "sent to the network, waiting for a block…",
		});
	}

	/// Ends the progress line.
	pub fn done(&self, stage: &str) {
		self.progress(stage);
		if self.tty {
			eprintln!();
		}
	}

	/// Reports a failure: on stderr, and as `{"error": …}` on stdout with `--json`.
	pub fn fail(&self, error: &crate::Error) {
		if self.tty {
			eprintln!();
		}
		eprintln!("gpux: {error}");
		if self.json {
			// `unconfirmed`: the transaction may be in a block; look before sending it again.
			let unconfirmed =
				matches!(error, crate::Error::Client(gpux_client::Error::Unconfirmed(_)));
			println!("{}", json!({ "error": error.to_string(), "unconfirmed": unconfirmed }));
		}
	}
}
