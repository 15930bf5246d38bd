//! The proof-of-GPU challenge: compute the seeded matrix product on the CPU or a CUDA GPU,
//! commit to its rows, and reveal the rows the chain asks for with their Merkle proofs. The
//! arithmetic and the reveal are `gpux_primitives`', the same code the validators check with.

mod cpu;
mod gpu;

pub use cpu::CpuSolver;
pub use gpu::GpuSolver;

use gpux_primitives::{
	attestation::{reveal_with_leaves, row_leaves, RevealedRows},
	challenge::{merkle_root, Hash32},
};

/// A computed product: its rows and their Merkle leaves.
pub struct Solution {
	pub rows: Vec<Vec<u32>>,
	leaves: Vec<Hash32>,
}

impl Solution {
	pub fn new(rows: Vec<Vec<u32>>) -> Self {
		let leaves = row_leaves(&rows);
		Self { rows, leaves }
	}

	/// What the worker commits on chain before the deadline.
	pub fn commitment(&self) -> Hash32 {
		merkle_root(&self.leaves)
	}

	/// Rows `indices` with their proofs, as the chain takes them; `None` if a row is missing.
	pub fn reveal(&self, indices: &[u32]) -> Option<RevealedRows> {
		reveal_with_leaves(&self.rows, &self.leaves, indices)
	}
}

/// Computes challenge products: on the CPU here, on the GPU where CUDA is available.
pub trait ChallengeSolver: Send + Sync {
	/// The product `A·B` of the `n`×`n` matrices seeded by `seed`.
	fn solve(&self, seed: &Hash32, n: u32) -> Result<Solution, crate::error::Error>;
	/// What it runs on, for logs.
	fn name(&self) -> String;
}

/// Which solver `--solver` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolverChoice {
	/// The GPU if CUDA loads, else the CPU.
	Auto,
	Cpu,
	Gpu,
}

/// The solver for `choice`: `Auto` falls back to the CPU and says why.
pub fn solver_for(
	choice: SolverChoice,
) -> Result<std::sync::Arc<dyn ChallengeSolver>, crate::error::Error> {
	match choice {
		SolverChoice::Cpu => Ok(std::sync::Arc::new(CpuSolver)),
		SolverChoice::Gpu => Ok(std::sync::Arc::new(GpuSolver::new()?)),
		SolverChoice::Auto => match GpuSolver::new() {
			Ok(gpu) => Ok(std::sync::Arc::new(gpu)),
			Err(e) => {
				tracing::info!("challenges on the CPU: {e}");
				Ok(std::sync::Arc::new(CpuSolver))
			},
		},
	}
}
