//! The CUDA solver: the matrices are seeded on the CPU (O(n²), the same generator validators
//! use), the O(n³) product runs on a GPU no lease holds (or, when every GPU is leased, on one
//! of them if the solve fits the operator's budget), and the rows come back for the commitment. `unsigned
//! int` arithmetic in CUDA C wraps modulo 2³², exactly like `u32::wrapping_*`, and integer sums
//! do not depend on their order, so the rows equal `CpuSolver`'s bit for bit.
//!
//! cudarc loads `libcuda` and `libnvrtc` when the solver starts, so the worker builds and runs
//! without CUDA; `GpuSolver::new` then says why there is no GPU solver and the worker uses the
//! CPU one.

// Loading a library and launching a kernel are `unsafe` in cudarc: the three blocks below say
// why each is sound.
#![allow(unsafe_code)]

use std::{
	sync::Mutex,
	time::{Duration, Instant},
};

use cudarc::{
	driver::{CudaContext, LaunchConfig, PushKernelArg},
	nvrtc::{compile_ptx, Ptx},
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

/// One GPU the solver may use.
struct Device {
	ordinal: usize,
	name: String,
	/// NVML's form of its UUID (`GPU-…`), to tell which GPU a lease holds.
	uuid: String,
}

/// Solves challenges on this machine's GPUs. A CUDA context (and the GPU memory it takes) is
/// made for each solve and released after it, so the solver holds nothing on a renter's GPU
/// between challenges.
pub struct GpuSolver {
	devices: Vec<Device>,
	ptx: Ptx,
	/// How long a challenge may borrow a leased GPU when every GPU is leased.
	leased_budget: Duration,
	/// The last solve: its size and time, to estimate the next one against the budget.
	last: Mutex<Option<(u32, Duration)>>,
}

/// Integer operations per second assumed before the first solve is measured: far below any
/// GPU's, so the first estimate errs long.
const ASSUMED_OPS_PER_SECOND: f64 = 1e11;

fn cuda(what: &str) -> impl Fn(cudarc::driver::DriverError) -> Error + '_ {
	move |e| Error::Cuda(format!("{what}: {e}"))
}

impl GpuSolver {
	/// Loads CUDA, compiles the kernel and finds the GPUs; an error says what is missing. A GPU
	/// CUDA cannot open is left out (and said); none at all is an error. `leased_budget`: how
	/// long one challenge may run on a leased GPU when none is free.
	pub fn new(leased_budget: Duration) -> Result<Self, Error> {
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
		let count = CudaContext::device_count().map_err(cuda("GPU count"))?;
		let ptx = compile_ptx(KERNEL).map_err(|e| Error::Cuda(format!("kernel: {e}")))?;
		let mut devices = Vec::new();
		for ordinal in 0..count.max(0) as usize {
			let found = CudaContext::new(ordinal).and_then(|ctx| {
				Ok(Device { ordinal, name: ctx.name()?, uuid: nvml_uuid(&ctx.uuid()?.bytes) })
			});
			match found {
				Ok(device) => devices.push(device),
				Err(e) => {
					tracing::warn!(target: "challenge", ordinal, "CUDA cannot open this GPU: {e}")
				},
			}
		}
		if devices.is_empty() {
			return Err(Error::Cuda("CUDA can open no GPU".into()));
		}
		Ok(Self { devices, ptx, leased_budget, last: Mutex::new(None) })
	}

	/// The GPU to solve on: the first no lease holds; else, if the solve should fit the budget,
	/// the first GPU. `leased: None`: which GPUs leases hold is unknown, so all are taken as
	/// held.
	fn pick(&self, n: u32, leased: Option<&[String]>) -> Result<&Device, Error> {
		if let Some(leased) = leased {
			if let Some(free) = self.devices.iter().find(|d| !leased.contains(&d.uuid)) {
				return Ok(free);
			}
		}
		let estimate = self.estimate(n);
		match self.devices.first() {
			Some(first) if estimate <= self.leased_budget => Ok(first),
			_ => Err(Error::Cuda(format!(
				"every GPU is leased and a size-{n} solve takes about {} ms, over the {} ms a \
				 challenge may borrow a leased GPU (--leased-gpu-budget-ms)",
				estimate.as_millis(),
				self.leased_budget.as_millis()
			))),
		}
	}

	/// The time a size-`n` solve should take: from the last one (the work grows as n³), or
	/// before any, at `ASSUMED_OPS_PER_SECOND` for its 2n³ operations.
	fn estimate(&self, n: u32) -> Duration {
		let last = *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		match last {
			Some((size, took)) => took.mul_f64((f64::from(n) / f64::from(size.max(1))).powi(3)),
			None => Duration::from_secs_f64(2.0 * f64::from(n).powi(3) / ASSUMED_OPS_PER_SECOND),
		}
	}

	fn product(&self, device: &Device, seed: &Hash32, n: u32) -> Result<Vec<Vec<u32>>, Error> {
		let ctx = CudaContext::new(device.ordinal).map_err(cuda("GPU"))?;
		let module = ctx.load_module(self.ptx.clone()).map_err(cuda("kernel module"))?;
		let kernel = module.load_function("product").map_err(cuda("kernel function"))?;
		let stream = ctx.default_stream();
		let flat = |which| -> Vec<u32> {
			(0..n).flat_map(|row| matrix_row(seed, which, row, n)).collect()
		};
		let a = stream.clone_htod(&flat(Matrix::A)).map_err(cuda("copy A"))?;
		let b = stream.clone_htod(&flat(Matrix::B)).map_err(cuda("copy B"))?;
		let entries = (n as usize).saturating_mul(n as usize);
		let mut c = stream.alloc_zeros::<u32>(entries).map_err(cuda("allocate the product"))?;
		let blocks = n.div_ceil(TILE);
		let config = LaunchConfig {
			grid_dim: (blocks, blocks, 1),
			block_dim: (TILE, TILE, 1),
			shared_mem_bytes: 0,
		};
		let mut launch = stream.launch_builder(&kernel);
		launch.arg(&a).arg(&b).arg(&mut c).arg(&n);
		// The kernel reads n×n entries of `a` and `b` and writes n×n of `c`, all allocated so.
		unsafe { launch.launch(config) }.map_err(cuda("launch"))?;
		let rows = stream.clone_dtoh(&c).map_err(cuda("copy the product back"))?;
		Ok(rows.chunks(n.max(1) as usize).map(<[u32]>::to_vec).collect())
	}
}

/// A CUDA UUID as NVML prints it: `GPU-` and the 16 bytes in 8-4-4-4-12 hex groups.
fn nvml_uuid(bytes: &[std::ffi::c_char; 16]) -> String {
	let hex: String = bytes.iter().map(|b| format!("{:02x}", *b as u8)).collect();
	format!("GPU-{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

impl ChallengeSolver for GpuSolver {
	fn solve(&self, seed: &Hash32, n: u32) -> Result<Solution, Error> {
		self.solve_avoiding(seed, n, Some(&[][..]))
	}

	fn solve_avoiding(
		&self,
		seed: &Hash32,
		n: u32,
		leased: Option<&[String]>,
	) -> Result<Solution, Error> {
		let device = self.pick(n, leased)?;
		let started = Instant::now();
		let rows = self.product(device, seed, n)?;
		*self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
			Some((n, started.elapsed()));
		tracing::debug!(target: "challenge", gpu = %device.uuid, name = %device.name, "solved on");
		Ok(Solution::new(rows))
	}

	fn name(&self) -> String {
		match self.devices.as_slice() {
			[one] => format!("GPU ({})", one.name),
			all => format!("GPUs ({} of them, {})", all.len(), all[0].name),
		}
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
		let gpu = match GpuSolver::new(Duration::from_secs(5)) {
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
		// Every GPU leased and a budget of nothing: the solver declines rather than borrow one.
		let leased: Vec<String> = gpu.devices.iter().map(|d| d.uuid.clone()).collect();
		let strict = GpuSolver { leased_budget: Duration::ZERO, ..gpu };
		*strict.last.lock().unwrap() = Some((256, Duration::from_millis(1)));
		let err = strict.solve_avoiding(&[5; 32], 256, Some(&leased[..])).err().unwrap();
		assert!(err.to_string().contains("every GPU is leased"), "{err}");
		let err = strict.solve_avoiding(&[5; 32], 256, None).err().unwrap();
		assert!(err.to_string().contains("every GPU is leased"), "{err}");
	}
}
