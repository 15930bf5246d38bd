//! What can stop the worker, each with a message an operator can act on.

/// Errors that end a worker command.
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
	/// The command is part of a later milestone.
	#[error("`{0}` is not available in this version of gpux-worker yet")]
	NotYetAvailable(&'static str),
}
