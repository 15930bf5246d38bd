//! Files the worker keeps across restarts.

use std::{io, path::Path};

/// Writes `bytes` to `path` whole or not at all (a temporary file renamed into place), creating
/// its folder: a crash mid-write never leaves a truncated file for the next start to trust.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir)?;
	}
	let tmp = path.with_extension("tmp");
	std::fs::write(&tmp, bytes)?;
	std::fs::rename(&tmp, path)
}
