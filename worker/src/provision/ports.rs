//! Host ports for lease containers, from the operator's range: never two leases on one port,
//! kept in a file so a restarted worker finds each lease's ports again, freed at the lease end.

use std::{collections::BTreeMap, ops::RangeInclusive, path::PathBuf};

use gpux_primitives::LeaseId;

use crate::error::Error;

/// Which lease holds which ports, persisted in `file` after every change.
#[derive(Debug)]
pub struct PortBook {
	range: RangeInclusive<u16>,
	file: PathBuf,
	taken: BTreeMap<LeaseId, Vec<u16>>,
}

impl PortBook {
	/// Loads the book from `file` (none yet: empty). Ports outside `range` in the file (the
	/// operator narrowed it) stay taken until their lease ends, so they never collide.
	pub fn load(file: PathBuf, range: RangeInclusive<u16>) -> Result<Self, Error> {
		let taken = match std::fs::read_to_string(&file) {
			Ok(text) => serde_json::from_str(&text)
				.map_err(|e| Error::Config(format!("{}: {e}", file.display())))?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
			Err(e) => return Err(Error::Config(format!("{}: {e}", file.display()))),
		};
		Ok(Self { range, file, taken })
	}

	/// Refuses a range that cannot give `leases` leases `per_lease` ports each.
	pub fn ensure_room(&self, leases: u32, per_lease: u32) -> Result<(), Error> {
		let size = u32::from(*self.range.end()).saturating_sub(u32::from(*self.range.start())) + 1;
		let need = leases.saturating_mul(per_lease);
		if self.range.is_empty() || size < need {
			return Err(Error::Config(format!(
				"port range {}-{} has {} ports; {leases} leases (one per GPU) with {per_lease} \
				 each need {need}: widen --port-range",
				self.range.start(),
				self.range.end(),
				if self.range.is_empty() { 0 } else { size },
			)));
		}
		Ok(())
	}

	/// The ports of `lease`: those it holds (its container was made with them), or else
	/// `count` free ones, lowest first.
	pub fn reserve(&mut self, lease: LeaseId, count: usize) -> Result<Vec<u16>, Error> {
		if let Some(ports) = self.taken.get(&lease) {
			return Ok(ports.clone());
		}
		let held: Vec<u16> =
			self.taken.iter().filter(|(l, _)| **l != lease).flat_map(|(_, p)| p.clone()).collect();
		let ports: Vec<u16> =
			self.range.clone().filter(|p| !held.contains(p)).take(count).collect();
		if ports.len() < count {
			return Err(Error::Provision(format!(
				"no {count} free ports left in {}-{} for lease {lease}",
				self.range.start(),
				self.range.end()
			)));
		}
		self.taken.insert(lease, ports.clone());
		self.save()?;
		Ok(ports)
	}

	/// The ports `lease` holds, if any.
	#[cfg(test)]
	pub fn of(&self, lease: LeaseId) -> Option<&[u16]> {
		self.taken.get(&lease).map(Vec::as_slice)
	}

	/// The leases holding ports.
	pub fn leases(&self) -> Vec<LeaseId> {
		self.taken.keys().copied().collect()
	}

	/// Frees the ports of `lease`.
	pub fn release(&mut self, lease: LeaseId) -> Result<(), Error> {
		if self.taken.remove(&lease).is_some() {
			self.save()?;
		}
		Ok(())
	}

	fn save(&self) -> Result<(), Error> {
		let text = serde_json::to_string(&self.taken).expect("a map of numbers serialises");
		crate::files::write_atomically(&self.file, text.as_bytes())
			.map_err(|e| Error::Provision(format!("{}: {e}", self.file.display())))
	}
}

/// Parses `FIRST-LAST`, e.g. `40000-40999`.
pub fn parse_range(text: &str) -> Result<RangeInclusive<u16>, Error> {
	let bad = || Error::Config(format!("port range `{text}` is not FIRST-LAST, e.g. 40000-40999"));
	let (first, last) = text.split_once('-').ok_or_else(bad)?;
	let (first, last): (u16, u16) =
		(first.trim().parse().map_err(|_| bad())?, last.trim().parse().map_err(|_| bad())?);
	if first == 0 || first > last {
		return Err(bad());
	}
	Ok(first..=last)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn file(name: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!("gpux-ports-{}-{name}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		dir.join("ports.json")
	}

	#[test]
	fn leases_never_share_a_port_and_keep_theirs_across_a_restart() {
		let path = file("restart");
		let mut book = PortBook::load(path.clone(), 40_000..=40_004).unwrap();
		assert_eq!(book.reserve(1, 2).unwrap(), vec![40_000, 40_001]);
		assert_eq!(book.reserve(2, 1).unwrap(), vec![40_002]);
		// Asking again returns the same ports: a start retried after a crash reuses them, and
		// a lease whose container exists keeps its ports whatever it asks.
		assert_eq!(book.reserve(1, 2).unwrap(), vec![40_000, 40_001]);
		assert_eq!(book.reserve(2, 2).unwrap(), vec![40_002]);
		assert_eq!(book.leases(), vec![1, 2]);
		let mut again = PortBook::load(path.clone(), 40_000..=40_004).unwrap();
		assert_eq!(again.of(1), Some(&[40_000, 40_001][..]));
		assert_eq!(again.reserve(3, 2).unwrap(), vec![40_003, 40_004]);
		assert!(again.reserve(4, 1).unwrap_err().to_string().contains("no 1 free ports"));
		// Freed at the end, and the next lease gets them.
		again.release(1).unwrap();
		assert_eq!(again.reserve(4, 1).unwrap(), vec![40_000]);
		assert_eq!(PortBook::load(path, 40_000..=40_004).unwrap().of(1), None);
	}

	#[test]
	fn a_range_too_small_or_malformed_is_named() {
		let book = PortBook::load(file("small"), 40_000..=40_002).unwrap();
		let err = book.ensure_room(2, 2).unwrap_err().to_string();
		assert!(err.contains("40000-40002 has 3 ports") && err.contains("need 4"), "{err}");
		assert!(book.ensure_room(1, 2).is_ok());
		assert_eq!(parse_range("40000-40999").unwrap(), 40_000..=40_999);
		for bad in ["40000", "9-1", "0-10", "a-b", "1-70000"] {
			assert!(parse_range(bad).is_err(), "{bad}");
		}
	}
}
