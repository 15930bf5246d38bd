//! The CUDA solver: the matrices are seeded on the CPU (O(n²), the same generator validators
//! use), the O(n³) product runs on GPU 0, and the rows come back for the commitment. `unsigned
//! int` arithmetic in CUDA C wraps modulo 2³², exactly like `u32::wrapping_*`, and integer sums
//! do not depend on their order, so the rows equal `CpuSolver`'s bit for bit.
//!
//! cudarc loads `libcuda` and `libnvrtc` when the solver starts, so the worker builds and runs
//! without CUDA; `GpuSolver::new` then says why there is no GPU solver and the worker uses the
//! CPU one.

// Loading a library and launching a kernel are `unsafe` in cudarc: the three blocks below say
// why each is sound.
#![allow(unsafe_code)]

use std::sync::Arc;

use cudarc::{
	driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg},
	nvrtc::compile_ptx,
};
use gpux_primitives::challenge::{matrix_row, Hash32, Matrix};

use super::{ChallengeSolver, Solution};
use crate::error::Error;

/// One thread per product entry; `unsigned int` wraps as `u32::wrapping_*` does.
const KERNEL: &str = r#"
extern "C" __global__ void product(const unsigned int* a, const unsigned int* b,
                                   unsigned int* c, unsigned int n) {
	unsigned int row = blockIdx.y * blockDim.y + threadIdx.y;
	unsigned int col = blockIdx.x * blockDim.x + threadIdx.x;
	if (row >= n || col >= n) return;
	unsigned int acc = 0;
	for (unsigned int k = 0; k < n; ++k) acc += a[row * n + k] * b[k * n + col];
	c[row * n + col] = acc;
}
"#;

/// Threads per block side.
const TILE: u32 = 16;

/// Solves challenges on GPU 0.
pub struct GpuSolver {
	stream: Arc<CudaStream>,
	kernel: CudaFunction,
	/// The GPU's name, for logs.
	pub device: String,
}

fn cuda(what: &str) -> impl Fn(cudarc::driver::DriverError) -> Error + '_ {
	move |e| Error::Cuda(format!("{what}: {e}"))
}

impl GpuSolver {
	/// Loads CUDA, compiles the kernel and picks GPU 0; an error says what is missing.
	pub fn new() -> Result<Self, Error> {
		// cudarc panics when a library is missing; ask first. These only try to open the
		// libraries by name.
		if !unsafe { cudarc::driver::sys::is_culib_present() } {
			return Err(Error::Cuda("libcuda (the NVIDIA driver) is not installed".into()));
		}
		if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
			return Err(Error::Cuda(
				"libnvrtc (the CUDA toolkit's runtime compiler) is not installed".into(),
			));
		}
		let ctx = CudaContext::new(0).map_err(cuda("GPU 0"))?;
		let device = ctx.name().map_err(cuda("GPU name"))?;
		let ptx = compile_ptx(KERNEL).map_err(|e| Error::Cuda(format!("kernel: {e}")))?;
		let module = ctx.load_module(ptx).map_err(cuda("kernel module"))?;
		let kernel = module.load_function("product").map_err(cuda("kernel function"))?;
		Ok(Self { stream: ctx.default_stream(), kernel, device })
	}

	fn product(&self, seed: &Hash32, n: u32) -> Result<Vec<Vec<u32>>, Error> {
		let flat = |which| -> Vec<u32> {
			(0..n).flat_map(|row| matrix_row(seed, which, row, n)).collect()
		};
		let a = self.stream.clone_htod(&flat(Matrix::A)).map_err(cuda("copy A"))?;
		let b = self.stream.clone_htod(&flat(Matrix::B)).map_err(cuda("copy B"))?;
		let entries = (n as usize).saturating_mul(n as usize);
		let mut c =
			self.stream.alloc_zeros::<u32>(entries).map_err(cuda("allocate the product"))?;
		let blocks = n.div_ceil(TILE);
		let config = LaunchConfig {
			grid_dim: (blocks, blocks, 1),
			block_dim: (TILE, TILE, 1),
			shared_mem_bytes: 0,
		};
		let mut launch = self.stream.launch_builder(&self.kernel);
		launch.arg(&a).arg(&b).arg(&mut c).arg(&n);
		// The kernel reads n×n entries of `a` and `b` and writes n×n of `c`, all allocated so.
		unsafe { launch.launch(config) }.map_err(cuda("launch"))?;
		let rows = self.stream.clone_dtoh(&c).map_err(cuda("copy the product back"))?;
		Ok(rows.chunks(n.max(1) as usize).map(<[u32]>::to_vec).collect())
	}
}

impl ChallengeSolver for GpuSolver {
	fn solve(&self, seed: &Hash32, n: u32) -> Result<Solution, Error> {
		Ok(Solution::new(self.product(seed, n)?))
	}

	fn name(&self) -> String {
		format!("GPU ({})", self.device)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::challenge::CpuSolver;

	/// Runs where CUDA is (a provider's host, the GPU machine of docs/attestation.md); on
	/// machines without it, checks that the solver says why instead of crashing.
	#[test]
	fn the_gpu_product_equals_the_cpu_product_bit_for_bit() {
		let gpu = match GpuSolver::new() {
			Ok(gpu) => gpu,
			Err(e) => {
				assert!(e.to_string().contains("not installed") || e.to_string().contains("GPU"));
				eprintln!("no CUDA here ({e}): the GPU solver is not compared");
				return;
			},
		};
		for (seed, n) in [([1u8; 32], 1), ([2; 32], 17), ([3; 32], 256), ([4; 32], 513)] {
			let on_gpu = gpu.solve(&seed, n).unwrap();
			let on_cpu = CpuSolver.solve(&seed, n).unwrap();
			assert!(on_gpu.rows == on_cpu.rows, "n = {n}");
			assert_eq!(on_gpu.commitment(), on_cpu.commitment());
		}
	}
}
