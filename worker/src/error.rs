//! What can stop the worker, each with a message an operator can act on.

/// Errors that end a worker command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// Neither NVML nor `--simulate` is available.
	#[error("no GPUs to read: NVML support is not built yet; pass --simulate COUNTxMODEL, e.g. --simulate 2xRTX4090")]
	NoGpuSource,
	/// The command is part of a later milestone.
	#[error("`{0}` is not available in this version of gpux-worker yet")]
	NotYetAvailable(&'static str),
}
