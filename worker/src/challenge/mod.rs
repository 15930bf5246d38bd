//! The proof-of-GPU challenge: compute the seeded matrix product, commit to its rows, and
//! reveal the rows the chain asks for with their Merkle proofs, on the CPU or a CUDA GPU. The arithmetic is
//! `gpux_primitives::challenge`, the same code the validators check with.

mod cpu;
mod gpu;

pub use cpu::CpuSolver;
pub use gpu::GpuSolver;

use gpux_primitives::challenge::{
	matrix_b, merkle_proof, merkle_root, product_row, row_leaf, verify_proof, Hash32,
};

/// A computed product: its rows and their Merkle leaves.
pub struct Solution {
	pub rows: Vec<Vec<u32>>,
	leaves: Vec<Hash32>,
}

/// A row the chain asked for, with what proves it belongs to the commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealedRow {
	pub index: u32,
	pub row: Vec<u32>,
	pub proof: Vec<Hash32>,
}

impl Solution {
	pub fn new(rows: Vec<Vec<u32>>) -> Self {
		let leaves = rows.iter().map(|row| row_leaf(row)).collect();
		Self { rows, leaves }
	}

	/// What the worker commits on chain before the deadline.
	pub fn commitment(&self) -> Hash32 {
		merkle_root(&self.leaves)
	}

	/// Row `index` with its proof; `None` if there is no such row.
	pub fn reveal(&self, index: u32) -> Option<RevealedRow> {
		let i = usize::try_from(index).ok()?;
		Some(RevealedRow {
			index,
			row: self.rows.get(i)?.clone(),
			proof: merkle_proof(&self.leaves, i)?,
		})
	}
}

impl RevealedRow {
	/// What a validator checks: the row is `A·B`'s row for `seed`, recomputed in O(n²), and the
	/// proof places it under `commitment`.
	pub fn verifies(&self, seed: &Hash32, n: u32, commitment: &Hash32) -> bool {
		self.index < n
			&& product_row(seed, &matrix_b(seed, n), self.index) == self.row
			&& verify_proof(
				commitment,
				self.index as usize,
				n as usize,
				&row_leaf(&self.row),
				&self.proof,
			)
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
