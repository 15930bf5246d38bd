//! What can stop the worker, each with a message an operator can act on.

/// Errors that end a worker command or, inside `run`, a task's step (which is retried).
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// NVML could not be loaded and `--simulate` was not given.
	#[error("no GPUs to read: NVML is not available ({0}); install the NVIDIA driver, or pass --simulate COUNTxMODEL, e.g. --simulate 2xRTX4090")]
	NvmlUnavailable(String),
	/// NVML is loaded but a reading failed.
	#[error("NVML could not read the {0}: {1}")]
	Nvml(&'static str, String),
	/// A solved challenge failed its own check: the solver or the machine is broken.
	#[error("challenge self-check failed: row {0} does not match its commitment")]
	ChallengeSelfCheck(u32),
	/// The configuration is malformed or inconsistent.
	#[error("configuration: {0}")]
	Config(String),
	/// The machine key's file is missing, unreadable, open to others or malformed.
	#[error("keystore: {0}")]
	Keystore(String),
	/// The node could not be reached or answered something unexpected (recoverable in `run`).
	#[error("node {0}: {1}")]
	Node(String, String),
	/// A lease workspace could not be set up or removed (recoverable in `run`).
	#[error("provisioning: {0}")]
	Provision(String),
	/// The GPU could not solve a challenge and the CPU would finish it too late.
	#[error(
		"the CPU would take about {estimate_s} s, past the deadline in {deadline_s} s: not solved"
	)]
	TooSlowForTheDeadline { estimate_s: u64, deadline_s: u64 },
	/// CUDA is missing or failed (the worker then solves challenges on the CPU).
	#[error("CUDA: {0}")]
	Cuda(String),
	/// A GPU evidence file does not answer its challenge.
	#[error("evidence: {0}")]
	Evidence(String),
	/// The chain refused a transaction the command needs.
	#[error("the chain refused the transaction: {0}")]
	Refused(String),
}

impl From<gpux_client::Error> for Error {
	fn from(e: gpux_client::Error) -> Self {
		match e {
			gpux_client::Error::Node(url, message) => Self::Node(url, message),
			gpux_client::Error::Keystore(message) => Self::Keystore(message),
			gpux_client::Error::Refused(message)
			| gpux_client::Error::Failed(message)
			| gpux_client::Error::Unconfirmed(message) => Self::Refused(message),
		}
	}
}
