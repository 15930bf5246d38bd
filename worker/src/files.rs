//! Files the worker keeps across restarts.

use std::{io, path::Path};

/// Writes `bytes` to `path` whole or not at all (a temporary file renamed into place), creating
/// its folder: a crash mid-write never leaves a truncated file for the next start to trust.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir)?;
	}
	let tmp = path.with_extension("tmp");
	let mut file = std::fs::File::create(&tmp)?;
	std::io::Write::write_all(&mut file, bytes)?;
	// On disk before the rename: a power loss must not leave an empty file under the name.
	file.sync_all()?;
	std::fs::rename(&tmp, path)
}
