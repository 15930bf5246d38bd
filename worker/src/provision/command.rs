//! External commands with a deadline: a hung `docker` (a stuck daemon, a container that will
//! not die) fails its lease's step instead of blocking the worker. Called from blocking threads.

use std::{
	io::Read,
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use crate::error::Error;

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
	pub stdout: String,
	pub stderr: String,
	pub success: bool,
}

/// Runs `program args` and waits at most `timeout`; past it the process is killed and the
/// result is an error naming the command.
pub fn run(program: &str, args: &[String], timeout: Duration) -> Result<Output, Error> {
	let name = || format!("{program} {}", args.first().map(String::as_str).unwrap_or_default());
	let mut child = Command::new(program)
		.args(args)
		.stdin(Stdio::null())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.map_err(|e| Error::Provision(format!("{}: {e}", name())))?;
	// Read both pipes on their own threads so a chatty command cannot fill one and stall.
	let mut stdout = child.stdout.take().expect("piped");
	let mut stderr = child.stderr.take().expect("piped");
	let out = std::thread::spawn(move || {
		let mut s = Vec::new();
		let _ = stdout.read_to_end(&mut s);
		s
	});
	let err = std::thread::spawn(move || {
		let mut s = Vec::new();
		let _ = stderr.read_to_end(&mut s);
		s
	});
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
	let text = |h: std::thread::JoinHandle<Vec<u8>>| {
		String::from_utf8_lossy(&h.join().unwrap_or_default()).trim().to_string()
	};
	Ok(Output { stdout: text(out), stderr: text(err), success: status.success() })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_command_that_hangs_is_killed_at_its_deadline() {
		let started = Instant::now();
		let err = run("sleep", &["30".into()], Duration::from_millis(300)).unwrap_err();
		assert!(err.to_string().contains("did not finish within"), "{err}");
		assert!(started.elapsed() < Duration::from_secs(5));
		let out = run(
			"sh",
			&["-c".into(), "echo hi; echo no >&2; exit 3".into()],
			Duration::from_secs(5),
		)
		.unwrap();
		assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.success), ("hi", "no", false));
		assert!(run("/nonexistent/program", &[], Duration::from_secs(1)).is_err());
	}
}
