//! The CUDA solver: `B` is seeded and packed on the CPU, the rows' rounds run on a GPU no lease
//! holds (or, when every GPU is leased, on one of them if the solve fits the operator's
//! budget), a chunk of rows at a time, and the final rows come back to be hashed. A kernel
//! keeps a block's rows in shared memory through every round and applies σ in place (nothing
//! but the rows crosses memory between rounds). Two kernels: on compute capability 8.0 and
//! later the tensor cores' integer MMA (`mma.sync … m16n8k32 … s8`, what the production sizes
//! assume), else `__dp4a` (four int8 multiply-adds into an int32 on the CUDA cores, 6.1 on).
//! Both are exact like the CPU, and integer sums do not depend on their order, so the leaves
//! equal `CpuSolver`'s bit for bit; a kernel is used only after it reproduced the CPU's leaves
//! on this machine's GPU when the solver started (`GpuSolver::new`), so a kernel wrong on some
//! GPU falls back to the next, never to a wrong commitment.
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

/// Threads per block, for both kernels: their sources assume it (`THREADS`, `WARPS` 8), and
/// their indexing stays in bounds only with it.
const THREADS: u32 = 256;
const _: () = assert!(THREADS == 256);
/// Rows sent to the GPU at once (64 MiB of int8 rows).
const CHUNK_ROWS: usize = 65_536;
/// The solve each kernel must match the CPU's on before it is used: a part block past a full
/// one, several rounds.
const SELF_CHECK: ChallengeSize = ChallengeSize { rows: 40, rounds: 3 };

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

/// The tensor-core kernel: a block of 8 warps takes 32 rows (two 16-row tiles, 32.5 KiB of
/// shared memory) through every round; each warp computes 128 of the 1,024 columns as 16 tiles
/// of 8 with `mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32` (int8 in, exact int32 sums),
/// then σ as in `KERNEL`. `bt` is `B` transposed and packed by four: `bt[j * 256 + q]` holds
/// `B[4q..4q+4][j]`, byte k = `B[4q+k][j]`, the order the MMA's B fragment takes. Fragment
/// layouts as in the PTX ISA ("Matrix Fragments for mma.m16n8k32"): thread `lane` holds A
/// rows `lane / 4` and `+ 8`, k `4 (lane % 4) ..+ 4` and `+ 16`; B column `lane / 4` at the
/// same k; C rows `lane / 4` and `+ 8`, columns `2 (lane % 4)` and `+ 1`.
const IMMA_KERNEL: &str = r#"
#define WIDTH 1024
#define MT 2
#define ROWS (16 * MT)
#define WARPS 8
#define NT (WIDTH / 8 / WARPS)
extern "C" __global__ void rounds_imma(const int* __restrict__ bt, signed char* x,
                                       unsigned int rows, unsigned int nrounds) {
	// Padded by 4 ints a row, so a warp's A-fragment loads fall in 32 different banks.
	__shared__ int xs[ROWS][WIDTH / 4 + 4];
	const unsigned int first = blockIdx.x * ROWS;
	const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
	const int g = lane >> 2, t = lane & 3;
	for (int i = tid; i < ROWS * (WIDTH / 4); i += WARPS * 32) {
		const int r = i / (WIDTH / 4), c = i % (WIDTH / 4);
		const unsigned int row = first + r;
		xs[r][c] = row < rows ? ((const int*)(x + (size_t)row * WIDTH))[c] : 0;
	}
	__syncthreads();
	for (unsigned int round = 0; round < nrounds; ++round) {
		int acc[MT][NT][4];
		#pragma unroll
		for (int m = 0; m < MT; ++m)
			#pragma unroll
			for (int n = 0; n < NT; ++n)
				#pragma unroll
				for (int i = 0; i < 4; ++i) acc[m][n][i] = 0;
		for (int k4 = 0; k4 < WIDTH / 4; k4 += 8) {
			int a[MT][4];
			#pragma unroll
			for (int m = 0; m < MT; ++m) {
				a[m][0] = xs[16 * m + g][k4 + t];
				a[m][1] = xs[16 * m + g + 8][k4 + t];
				a[m][2] = xs[16 * m + g][k4 + 4 + t];
				a[m][3] = xs[16 * m + g + 8][k4 + 4 + t];
			}
			#pragma unroll
			for (int n = 0; n < NT; ++n) {
				const int* col = bt + (size_t)((warp * NT + n) * 8 + g) * (WIDTH / 4);
				const int b0 = col[k4 + t], b1 = col[k4 + 4 + t];
				#pragma unroll
				for (int m = 0; m < MT; ++m)
					asm volatile(
						"mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
						"{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
						: "+r"(acc[m][n][0]), "+r"(acc[m][n][1]), "+r"(acc[m][n][2]), "+r"(acc[m][n][3])
						: "r"(a[m][0]), "r"(a[m][1]), "r"(a[m][2]), "r"(a[m][3]), "r"(b0), "r"(b1));
			}
		}
		__syncthreads();
		const unsigned int tweak = round * 0x85EBCA6Bu;
		#pragma unroll
		for (int m = 0; m < MT; ++m)
			#pragma unroll
			for (int n = 0; n < NT; ++n)
				#pragma unroll
				for (int i = 0; i < 4; ++i) {
					const int r = 16 * m + g + (i >> 1) * 8;
					const int c = (warp * NT + n) * 8 + 2 * t + (i & 1);
					const unsigned int v = (((unsigned int)acc[m][n][i]) ^ tweak) * 0x9E3779B1u;
					((signed char*)xs[r])[c] = (signed char)(v >> 24);
				}
		__syncthreads();
	}
	for (int i = tid; i < ROWS * (WIDTH / 4); i += WARPS * 32) {
		const int r = i / (WIDTH / 4), c = i % (WIDTH / 4);
		const unsigned int row = first + r;
		if (row < rows) ((int*)(x + (size_t)row * WIDTH))[c] = xs[r][c];
	}
}
"#;

/// `B` packed for `KERNEL`.
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

/// `B` transposed and packed for `IMMA_KERNEL`.
fn pack_bt(b: &[i8]) -> Vec<i32> {
	let mut packed = vec![0i32; WIDTH * WIDTH / 4];
	for j in 0..WIDTH {
		for q in 0..WIDTH / 4 {
			let byte = |k: usize| b[(4 * q + k) * WIDTH + j] as u8;
			packed[j * WIDTH / 4 + q] = i32::from_le_bytes([byte(0), byte(1), byte(2), byte(3)]);
		}
	}
	packed
}

/// The kernels, fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
	TensorCores,
	Dp4a,
}

impl Kernel {
	const ALL: [Kernel; 2] = [Kernel::TensorCores, Kernel::Dp4a];

	fn source(self) -> &'static str {
		match self {
			Kernel::TensorCores => IMMA_KERNEL,
			Kernel::Dp4a => KERNEL,
		}
	}

	fn function(self) -> &'static str {
		match self {
			Kernel::TensorCores => "rounds_imma",
			Kernel::Dp4a => "rounds",
		}
	}

	/// Rows a thread block takes through the rounds.
	fn rows_per_block(self) -> u32 {
		match self {
			Kernel::TensorCores => 32,
			Kernel::Dp4a => 16,
		}
	}

	/// The lowest compute capability it runs on: int8 `mma.sync` m16n8k32 from Ampere,
	/// `__dp4a` from 6.1.
	fn min_capability(self) -> (i32, i32) {
		match self {
			Kernel::TensorCores => (8, 0),
			Kernel::Dp4a => (6, 1),
		}
	}

	fn pack(self, b: &[i8]) -> Vec<i32> {
		match self {
			Kernel::TensorCores => pack_bt(b),
			Kernel::Dp4a => pack_b(b),
		}
	}

	/// The PTX for compute capability `capability`: the GPUs' own (the lowest of them), as a
	/// toolkit drops old targets (CUDA 13 starts at 7.5), never a present GPU's.
	fn compile(self, capability: (i32, i32)) -> Result<Ptx, Error> {
		let (major, minor) = capability;
		let options = CompileOptions {
			options: vec![format!("--gpu-architecture=compute_{major}{minor}")],
			..Default::default()
		};
		compile_ptx_with_opts(self.source(), options).map_err(|e| {
			Error::Cuda(format!("the {self} kernel does not compile for {major}.{minor}: {e}"))
		})
	}
}

impl std::fmt::Display for Kernel {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(match self {
			Kernel::TensorCores => "tensor-core",
			Kernel::Dp4a => "dp4a",
		})
	}
}

/// One GPU the solver may use.
#[derive(Clone)]
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
	/// The lowest compute capability among them, which the kernel is compiled for.
	capability: (i32, i32),
	kernel: Kernel,
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
	/// Loads CUDA, finds the GPUs and takes the first kernel (tensor cores, then `__dp4a`) that
	/// compiles for them and reproduces the CPU's leaves on the first of them; an error says
	/// what is missing or what failed. A GPU CUDA cannot open is left out (and said); none at all is an error.
	/// `leased_budget`: how long one challenge may run on a leased GPU when none is free.
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
		let mut refused = Vec::new();
		for kernel in Kernel::ALL {
			if lowest < kernel.min_capability() {
				let (major, minor) = kernel.min_capability();
				refused.push(format!("the {kernel} kernel needs {major}.{minor}"));
				continue;
			}
			let solver = match kernel.compile(lowest) {
				Ok(ptx) => Self {
					devices: devices.clone(),
					capability: lowest,
					kernel,
					ptx,
					leased_budget,
					last: Mutex::new(None),
				},
				Err(e) => {
					tracing::warn!(target: "challenge", "the {kernel} kernel is not used: {e}");
					refused.push(e.to_string());
					continue;
				},
			};
			// A CUDA error is the GPU's (busy, out of memory) and ends here; only wrong rows
			// pass the kernel over.
			if solver.self_check()? {
				return Ok(solver);
			}
			let wrong = format!("the {kernel} kernel's rows differ from the CPU's on this GPU");
			tracing::warn!(target: "challenge", "{wrong}: not used");
			refused.push(wrong);
		}
		Err(Error::Cuda(format!(
			"compute capability {}.{}: no kernel to use ({})",
			lowest.0,
			lowest.1,
			refused.join("; ")
		)))
	}

	/// Whether the kernel's leaves for `SELF_CHECK` on the first GPU equal the CPU's.
	fn self_check(&self) -> Result<bool, Error> {
		let seed = [0x5e; 32];
		let device = self.devices.first().ok_or_else(|| Error::Cuda("no GPU".into()))?;
		let on_gpu = self.leaves(device, &seed, SELF_CHECK)?;
		let on_cpu = super::CpuSolver.solve(&seed, SELF_CHECK)?;
		Ok(on_gpu[..] == on_cpu.tree.leaves()[..])
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
		let kernel =
			module.load_function(self.kernel.function()).map_err(cuda("kernel function"))?;
		let stream = ctx.default_stream();
		let b = stream.clone_htod(&self.kernel.pack(&seeded_b(seed))).map_err(cuda("copy B"))?;
		let all: Vec<u32> = (0..size.rows).collect();
		let mut leaves = Vec::with_capacity(all.len());
		for chunk in all.chunks(CHUNK_ROWS) {
			let rows: Vec<i8> =
				chunk.iter().flat_map(|row| seeded_row(seed, Matrix::A, *row)).collect();
			let mut x = stream.clone_htod(&rows).map_err(cuda("copy the rows"))?;
			let count = chunk.len() as u32;
			let config = LaunchConfig {
				grid_dim: (count.div_ceil(self.kernel.rows_per_block()), 1, 1),
				block_dim: (THREADS, 1, 1),
				shared_mem_bytes: 0,
			};
			let mut launch = stream.launch_builder(&kernel);
			launch.arg(&b).arg(&mut x).arg(&count).arg(&size.rounds);
			// Either kernel, run with `THREADS` threads a block as its source assumes, reads
			// WIDTH²/4 ints of `b` and reads and writes `count` rows of WIDTH bytes of `x`, all
			// allocated so; rows past `count` are neither read nor written.
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
		let (major, minor) = self.capability;
		let kernel = format!("{} kernel for {major}.{minor}", self.kernel);
		match self.devices.as_slice() {
			[one] => format!("GPU ({}, {kernel})", one.name),
			all => format!("GPUs ({} of them, {}, {kernel})", all.len(), all[0].name),
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

	/// The transposed packing the MMA's B fragment reads: byte k of `bt[j][q]` is `B[4q+k][j]`.
	#[test]
	fn b_is_transposed_and_packed_four_rows_to_an_int() {
		let b = seeded_b(&[8; 32]);
		let packed = pack_bt(&b);
		for (q, j) in [(0, 0), (3, 17), (255, 1023), (100, 5)] {
			let bytes = packed[j * WIDTH / 4 + q].to_le_bytes();
			for (k, byte) in bytes.iter().enumerate() {
				assert_eq!(*byte as i8, b[(4 * q + k) * WIDTH + j]);
			}
		}
	}

	/// Both kernels compile for every compute capability they claim, and, where `GPUX_PTXAS`
	/// names NVIDIA's assembler, assemble (the tensor-core MMA is inline PTX, which only the
	/// assembler checks). Needs only `libnvrtc` (scripts/cuda-tools.sh fetches it for CI), no GPU.
	#[test]
	fn the_kernels_compile_and_assemble_for_every_capability_they_claim() {
		// Only opens the library by name.
		if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
			// scripts/test.sh sets it, so CI cannot skip this silently.
			assert!(
				std::env::var_os("GPUX_REQUIRE_NVRTC").is_none(),
				"GPUX_REQUIRE_NVRTC is set but libnvrtc is not on the library path"
			);
			eprintln!("no libnvrtc here: the kernels are not compiled");
			return;
		}
		let ptxas = std::env::var_os("GPUX_PTXAS");
		let dir = std::env::temp_dir().join(format!("gpux-ptx-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		for kernel in Kernel::ALL {
			for capability in [(6, 1), (7, 0), (7, 5), (8, 0), (8, 6), (8, 9), (9, 0)] {
				if capability < kernel.min_capability() {
					continue;
				}
				let ptx = kernel.compile(capability).unwrap();
				let Some(ptxas) = &ptxas else { continue };
				let file = dir.join(format!("{kernel}-{}{}.ptx", capability.0, capability.1));
				std::fs::write(&file, ptx.to_src()).unwrap();
				let out = std::process::Command::new(ptxas)
					.arg(format!("-arch=sm_{}{}", capability.0, capability.1))
					.arg(&file)
					.args(["-o", "/dev/null"])
					.output()
					.unwrap_or_else(|e| panic!("GPUX_PTXAS={ptxas:?}: {e}"));
				let log = String::from_utf8_lossy(&out.stderr);
				assert!(out.status.success(), "{kernel} for {capability:?}: {log}");
			}
		}
		let _ = std::fs::remove_dir_all(&dir);
		if ptxas.is_none() {
			eprintln!("GPUX_PTXAS is not set: the kernels compiled, not assembled");
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
		// Where they run, the tensor cores are what the solver chose.
		if gpu.capability >= Kernel::TensorCores.min_capability() {
			assert_eq!(gpu.kernel, Kernel::TensorCores);
		}
		// Every kernel the GPUs run, not only the chosen one: one row; a part block; several
		// blocks and rounds.
		for kernel in Kernel::ALL.into_iter().filter(|k| gpu.capability >= k.min_capability()) {
			let solver = GpuSolver {
				devices: gpu.devices.clone(),
				capability: gpu.capability,
				kernel,
				ptx: kernel.compile(gpu.capability).unwrap(),
				leased_budget: gpu.leased_budget,
				last: Mutex::new(None),
			};
			for (seed, rows, rounds) in [([1u8; 32], 1, 1), ([2; 32], 17, 3), ([3; 32], 100, 8)] {
				let size = ChallengeSize { rows, rounds };
				let on_gpu = solver.solve(&seed, size).unwrap();
				let on_cpu = CpuSolver.solve(&seed, size).unwrap();
				assert!(
					on_gpu.tree.leaves() == on_cpu.tree.leaves(),
					"{kernel}: {rows} × {rounds}"
				);
				assert_eq!(on_gpu.commitment(), on_cpu.commitment());
			}
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
