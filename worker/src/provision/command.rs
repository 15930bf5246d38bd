//! External commands with a deadline and a cap on what is kept of their output: a hung
//! `docker` (a stuck daemon, a container that will not die) fails its lease's step instead of
//! blocking the worker, and a command that prints without end (a renter's container logs)
//! cannot fill the worker's memory. Called from blocking threads.

use std::{
	ffi::OsStr,
	io::Read,
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use crate::error::Error;

/// What is kept of each of a command's two outputs unless the caller asks for more.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// What a finished command printed (each stream cut at the cap).
#[derive(Debug)]
pub struct Output {
	pub stdout: String,
	pub stderr: String,
	pub success: bool,
	/// Whether either stream was longer than the cap.
	pub truncated: bool,
}

/// Runs `program args` and waits at most `timeout`; past it the process is killed and the
/// result is an error naming the command. Keeps at most `OUTPUT_CAP` bytes of each stream.
pub fn run<A: AsRef<OsStr>>(program: &str, args: &[A], timeout: Duration) -> Result<Output, Error> {
	run_capped(program, args, timeout, OUTPUT_CAP)
}

/// `run`, keeping at most `cap` bytes of each stream; the rest is read and dropped, so the
/// command never blocks on a full pipe.
pub fn run_capped<A: AsRef<OsStr>>(
	program: &str,
	args: &[A],
	timeout: Duration,
	cap: usize,
) -> Result<Output, Error> {
	let first = args.first().map(|a| a.as_ref().to_string_lossy()).unwrap_or_default();
	let name = || format!("{program} {first}");
	let mut child = Command::new(program)
		.args(args)
		// The worker key's passphrase is the worker's alone.
		.env_remove("GPUX_KEY_PASSPHRASE")
		.stdin(Stdio::null())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.map_err(|e| Error::Provision(format!("{}: {e}", name())))?;
	// Read both pipes on their own threads so a chatty command cannot fill one and stall.
	let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
		return Err(Error::Provision(format!("{}: no pipes", name())));
	};
	let out = std::thread::spawn(move || keep_first(stdout, cap));
	let err = std::thread::spawn(move || keep_first(stderr, cap));
	let deadline = Instant::now() + timeout;
	let status = loop {
		match child.try_wait() {
			Ok(Some(status)) => break status,
			Ok(None) if Instant::now() >= deadline => {
				let _ = child.kill();
				let _ = child.wait();
				return Err(Error::Provision(format!(
					"{} did not finish within {} s",
					name(),
					timeout.as_secs()
				)));
			},
			Ok(None) => std::thread::sleep(Duration::from_millis(20)),
			Err(e) => return Err(Error::Provision(format!("{}: {e}", name()))),
		}
	};
	let (stdout, cut_out) = out.join().unwrap_or_default();
	let (stderr, cut_err) = err.join().unwrap_or_default();
	let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).trim().to_string();
	Ok(Output {
		stdout: text(stdout),
		stderr: text(stderr),
		success: status.success(),
		truncated: cut_out || cut_err,
	})
}

/// The first `cap` bytes of `stream`, and whether there was more (read to the end either way).
fn keep_first(mut stream: impl Read, cap: usize) -> (Vec<u8>, bool) {
	let mut kept = Vec::new();
	let mut chunk = [0u8; 8192];
	let mut more = false;
	loop {
		match stream.read(&mut chunk) {
			Ok(0) | Err(_) => return (kept, more),
			Ok(n) => {
				let room = cap.saturating_sub(kept.len());
				kept.extend_from_slice(&chunk[..n.min(room)]);
				more |= n > room;
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_command_that_hangs_is_killed_at_its_deadline() {
		let started = Instant::now();
		let err = run("sleep", &["30"], Duration::from_millis(300)).unwrap_err();
		assert!(err.to_string().contains("did not finish within"), "{err}");
		assert!(started.elapsed() < Duration::from_secs(5));
		let out =
			run("sh", &["-c", "echo hi; echo no >&2; exit 3"], Duration::from_secs(5)).unwrap();
		assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.success), ("hi", "no", false));
		assert!(run::<&str>("/nonexistent/program", &[], Duration::from_secs(1)).is_err());
		// Endless output is cut at the cap, not kept.
		let args = ["-c", "head -c 1000000 /dev/zero"];
		let out = run_capped("sh", &args, Duration::from_secs(10), 4096).unwrap();
		assert!(out.truncated && out.success);
	}
}
