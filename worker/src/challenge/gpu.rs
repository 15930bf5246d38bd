//! The CUDA solver: `B` is seeded and packed on the CPU, the rows' rounds run on a GPU no lease
//! holds (or, when every GPU is leased, on one of them if the solve fits the operator's
//! budget), a chunk of rows at a time, and the final rows come back to be hashed. The kernel
//! keeps a block's rows in shared memory through every round and applies σ in place (nothing
//! but the rows crosses memory between rounds); its products are `__dp4a` (four int8
//! multiply-adds into an int32), exact like the CPU's, and integer sums do not depend on their
//! order, so the leaves equal `CpuSolver`'s bit for bit. It is the correct path, not yet the
//! fast one: tensor cores (IMMA) are what the production sizes assume (docs/attestation.md).
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
	nvrtc::{compile_ptx_with_opts, CompileOptions, Ptx},
};
use gpux_primitives::{
	attestation::ChallengeSize,
	challenge::{
		rounds::{seeded_b, seeded_row, WIDTH},
		Hash32, Matrix,
	},
};

use super::{ChallengeSolver, Solution};
use crate::error::Error;

/// Rows per thread block, held in shared memory (16 KiB) through every round.
const ROWS_PER_BLOCK: u32 = 16;
/// Threads per block: each computes 4 of the 1,024 columns for all the block's rows.
const THREADS: u32 = 256;
/// Rows sent to the GPU at once (64 MiB of int8 rows).
const CHUNK_ROWS: usize = 65_536;

/// `x` holds `rows` rows of 1,024 int8 (in: the seeded rows; out: the final rows); `b4` is `B`
/// packed by four rows: `b4[q * 1024 + j]` holds `B[4q..4q+4][j]`, byte k = `B[4q+k][j]`, the
/// order `__dp4a` pairs with the four bytes of an `int` of `x`. σ as in
/// `gpux_primitives::challenge::rounds::mix`: unsigned arithmetic wraps modulo 2³².
const KERNEL: &str = r#"
#define WIDTH 1024
#define ROWS 16
#define THREADS 256
extern "C" __global__ void rounds(const int* __restrict__ b4, signed char* x,
                                  unsigned int rows, unsigned int nrounds) {
	__shared__ int xs[ROWS][WIDTH / 4];
	const unsigned int first = blockIdx.x * ROWS;
	const int t = threadIdx.x;
	for (int r = 0; r < ROWS; ++r) {
		unsigned int row = first + r;
		xs[r][t] = row < rows ? ((const int*)(x + (size_t)row * WIDTH))[t] : 0;
	}
	__syncthreads();
	for (unsigned int round = 0; round < nrounds; ++round) {
		int acc[ROWS][4];
		for (int r = 0; r < ROWS; ++r)
			for (int c = 0; c < 4; ++c) acc[r][c] = 0;
		for (int q = 0; q < WIDTH / 4; ++q) {
			const int* bq = b4 + q * WIDTH;
			int b[4];
			for (int c = 0; c < 4; ++c) b[c] = bq[t + c * THREADS];
			for (int r = 0; r < ROWS; ++r) {
				int xv = xs[r][q];
				for (int c = 0; c < 4; ++c) acc[r][c] = __dp4a(xv, b[c], acc[r][c]);
			}
		}
		__syncthreads();
		unsigned int tweak = round * 0x85EBCA6Bu;
		for (int r = 0; r < ROWS; ++r)
			for (int c = 0; c < 4; ++c) {
				unsigned int v = (((unsigned int)acc[r][c]) ^ tweak) * 0x9E3779B1u;
				((signed char*)xs[r])[t + c * THREADS] = (signed char)(v >> 24);
			}
		__syncthreads();
	}
	for (int r = 0; r < ROWS; ++r) {
		unsigned int row = first + r;
		if (row < rows) ((int*)(x + (size_t)row * WIDTH))[t] = xs[r][t];
	}
}
"#;

/// `B` packed for the kernel (see `KERNEL`).
fn pack_b(b: &[i8]) -> Vec<i32> {
	let mut packed = vec![0i32; WIDTH * WIDTH / 4];
	for q in 0..WIDTH / 4 {
		for j in 0..WIDTH {
			let byte = |k: usize| b[(4 * q + k) * WIDTH + j] as u8;
			packed[q * WIDTH + j] = i32::from_le_bytes([byte(0), byte(1), byte(2), byte(3)]);
		}
	}
	packed
}

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
	/// The last solve: its work (rows × rounds) and time, to estimate the next one against
	/// the budget.
	last: Mutex<Option<(u64, Duration)>>,
}

/// Integer operations per second assumed before the first solve is measured: far below any
/// GPU's, so the first estimate errs long.
const ASSUMED_OPS_PER_SECOND: f64 = 1e12;

/// Row-rounds of a challenge: its work in units of `WIDTH`² multiply-adds.
fn work(size: ChallengeSize) -> u64 {
	u64::from(size.rows) * u64::from(size.rounds)
}

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
		let mut devices = Vec::new();
		let mut lowest = (i32::MAX, i32::MAX);
		for ordinal in 0..count.max(0) as usize {
			let found = CudaContext::new(ordinal).and_then(|ctx| {
				let device =
					Device { ordinal, name: ctx.name()?, uuid: nvml_uuid(&ctx.uuid()?.bytes) };
				Ok((device, ctx.compute_capability()?))
			});
			match found {
				Ok((device, capability)) => {
					lowest = lowest.min(capability);
					devices.push(device)
				},
				Err(e) => {
					tracing::warn!(target: "challenge", ordinal, "CUDA cannot open this GPU: {e}")
				},
			}
		}
		if devices.is_empty() {
			return Err(Error::Cuda("CUDA can open no GPU".into()));
		}
		// `__dp4a` needs compute capability 6.1. Compiled for the GPUs' own (the lowest of
		// them): a toolkit drops old targets (CUDA 13 starts at 7.5), never a present GPU's.
		if lowest < (6, 1) {
			return Err(Error::Cuda(format!(
				"compute capability {}.{}: the kernel needs 6.1 or later",
				lowest.0, lowest.1
			)));
		}
		let options = CompileOptions {
			options: vec![format!("--gpu-architecture=compute_{}{}", lowest.0, lowest.1)],
			..Default::default()
		};
		let ptx = compile_ptx_with_opts(KERNEL, options).map_err(|e| {
			Error::Cuda(format!("the kernel does not compile for {}.{}: {e}", lowest.0, lowest.1))
		})?;
		Ok(Self { devices, ptx, leased_budget, last: Mutex::new(None) })
	}

	/// The GPU to solve on: the first no lease holds; else, if the solve should fit the budget,
	/// the first GPU. `leased: None`: which GPUs leases hold is unknown, so all are taken as
	/// held.
	fn pick(&self, size: ChallengeSize, leased: Option<&[String]>) -> Result<&Device, Error> {
		if let Some(leased) = leased {
			if let Some(free) = self.devices.iter().find(|d| !leased.contains(&d.uuid)) {
				return Ok(free);
			}
		}
		let estimate = self.estimate(size);
		match self.devices.first() {
			Some(first) if estimate <= self.leased_budget => Ok(first),
			_ => Err(Error::Cuda(format!(
				"every GPU is leased and a {} × {} solve takes about {} ms, over the {} ms a \
				 challenge may borrow a leased GPU (--leased-gpu-budget-ms)",
				size.rows,
				size.rounds,
				estimate.as_millis(),
				self.leased_budget.as_millis()
			))),
		}
	}

	/// The time a solve of `size` should take: from the last one (the work grows as rows ×
	/// rounds), or before any, at `ASSUMED_OPS_PER_SECOND`.
	fn estimate(&self, size: ChallengeSize) -> Duration {
		let last = *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let work = work(size) as f64;
		match last {
			Some((done, took)) => took.mul_f64(work / done.max(1) as f64),
			None => Duration::from_secs_f64(
				2.0 * work * (WIDTH * WIDTH) as f64 / ASSUMED_OPS_PER_SECOND,
			),
		}
	}

	/// The leaves of the challenge, computed on `device` a chunk of rows at a time.
	fn leaves(
		&self,
		device: &Device,
		seed: &Hash32,
		size: ChallengeSize,
	) -> Result<Vec<Hash32>, Error> {
		let ctx = CudaContext::new(device.ordinal).map_err(cuda("GPU"))?;
		let module = ctx.load_module(self.ptx.clone()).map_err(cuda("kernel module"))?;
		let kernel = module.load_function("rounds").map_err(cuda("kernel function"))?;
		let stream = ctx.default_stream();
		let b4 = stream.clone_htod(&pack_b(&seeded_b(seed))).map_err(cuda("copy B"))?;
		let all: Vec<u32> = (0..size.rows).collect();
		let mut leaves = Vec::with_capacity(all.len());
		for chunk in all.chunks(CHUNK_ROWS) {
			let rows: Vec<i8> =
				chunk.iter().flat_map(|row| seeded_row(seed, Matrix::A, *row)).collect();
			let mut x = stream.clone_htod(&rows).map_err(cuda("copy the rows"))?;
			let count = chunk.len() as u32;
			let config = LaunchConfig {
				grid_dim: (count.div_ceil(ROWS_PER_BLOCK), 1, 1),
				block_dim: (THREADS, 1, 1),
				shared_mem_bytes: 0,
			};
			let mut launch = stream.launch_builder(&kernel);
			launch.arg(&b4).arg(&mut x).arg(&count).arg(&size.rounds);
			// The kernel reads WIDTH²/4 ints of `b4` and reads and writes `count` rows of
			// WIDTH bytes of `x`, all allocated so; rows past `count` are neither read nor
			// written.
			unsafe { launch.launch(config) }.map_err(cuda("launch"))?;
			let done: Vec<i8> = stream.clone_dtoh(&x).map_err(cuda("copy the rows back"))?;
			leaves.extend(super::hash_rows(&done));
		}
		Ok(leaves)
	}
}

/// A CUDA UUID as NVML prints it: `GPU-` and the 16 bytes in 8-4-4-4-12 hex groups.
fn nvml_uuid(bytes: &[std::ffi::c_char; 16]) -> String {
	let hex: String = bytes.iter().map(|b| format!("{:02x}", *b as u8)).collect();
	format!("GPU-{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

impl ChallengeSolver for GpuSolver {
	fn solve(&self, seed: &Hash32, size: ChallengeSize) -> Result<Solution, Error> {
		self.solve_avoiding(seed, size, Some(&[][..]))
	}

	fn solve_avoiding(
		&self,
		seed: &Hash32,
		size: ChallengeSize,
		leased: Option<&[String]>,
	) -> Result<Solution, Error> {
		let device = self.pick(size, leased)?;
		let started = Instant::now();
		let leaves = self.leaves(device, seed, size)?;
		*self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
			Some((work(size), started.elapsed()));
		tracing::debug!(target: "challenge", gpu = %device.uuid, name = %device.name, "solved on");
		Ok(Solution::new(*seed, size.rounds, leaves))
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

	/// The packing `__dp4a` reads, checked on every machine: byte k of `b4[q][j]` is
	/// `B[4q+k][j]`.
	#[test]
	fn b_is_packed_four_rows_to_an_int() {
		let b = seeded_b(&[8; 32]);
		let packed = pack_b(&b);
		for (q, j) in [(0, 0), (3, 17), (255, 1023)] {
			let bytes = packed[q * WIDTH + j].to_le_bytes();
			for (k, byte) in bytes.iter().enumerate() {
				assert_eq!(*byte as i8, b[(4 * q + k) * WIDTH + j]);
			}
		}
	}

	/// Runs where CUDA is (a provider's host, the GPU machine of docs/attestation.md); on
	/// machines without it, checks that the solver says why instead of crashing.
	#[test]
	fn the_gpu_leaves_equal_the_cpu_leaves_bit_for_bit() {
		let gpu = match GpuSolver::new(Duration::from_secs(5)) {
			Ok(gpu) => gpu,
			Err(e) => {
				assert!(e.to_string().contains("not installed") || e.to_string().contains("GPU"));
				eprintln!("no CUDA here ({e}): the GPU solver is not compared");
				return;
			},
		};
		// One row; a part block; several blocks and rounds.
		for (seed, rows, rounds) in [([1u8; 32], 1, 1), ([2; 32], 17, 3), ([3; 32], 100, 8)] {
			let size = ChallengeSize { rows, rounds };
			let on_gpu = gpu.solve(&seed, size).unwrap();
			let on_cpu = CpuSolver.solve(&seed, size).unwrap();
			assert!(on_gpu.tree.leaves() == on_cpu.tree.leaves(), "{rows} × {rounds}");
			assert_eq!(on_gpu.commitment(), on_cpu.commitment());
		}
		// Every GPU leased and a budget of nothing: the solver declines rather than borrow one.
		let leased: Vec<String> = gpu.devices.iter().map(|d| d.uuid.clone()).collect();
		let strict = GpuSolver { leased_budget: Duration::ZERO, ..gpu };
		*strict.last.lock().unwrap() = Some((256, Duration::from_millis(1)));
		let size = ChallengeSize { rows: 256, rounds: 8 };
		let err = strict.solve_avoiding(&[5; 32], size, Some(&leased[..])).err().unwrap();
		assert!(err.to_string().contains("every GPU is leased"), "{err}");
		let err = strict.solve_avoiding(&[5; 32], size, None).err().unwrap();
		assert!(err.to_string().contains("every GPU is leased"), "{err}");
	}
}
