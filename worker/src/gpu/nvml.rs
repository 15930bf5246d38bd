//! Real GPUs through NVML. `libnvidia-ml.so` is loaded when the probe starts, so the worker
//! builds and runs (with `--simulate`) on machines without the NVIDIA driver.
//!
//! A reading degrades field by field: a field the GPU does not offer is `None` quietly; one
//! that fails is `None` and counted; a GPU NVML cannot reach is reported lost (under the UUID
//! it had), and the rest of the report stands. After a read that failed or found a GPU lost,
//! NVML is initialised again at the next one, with fresh device handles. Xid errors arrive as
//! NVML events, watched on a thread of their own.

use std::{
	collections::BTreeMap,
	sync::{Arc, Mutex},
	time::Duration,
};

use nvml_wrapper::{
	bitmasks::event::EventTypes,
	enum_wrappers::device::{EccCounter, MemoryError, RetirementCause, TemperatureSensor},
	enums::device::SampleValue,
	error::NvmlError,
	structs::device::FieldId,
	Nvml,
};

use super::{
	evidence::{self, GpuEvidence},
	GpuProbe, GpuReading, GpuReport,
};
use crate::error::Error;

const MIB: u64 = 1024 * 1024;
/// How long a read waits for another one to finish.
const LOCK_WAIT: Duration = Duration::from_secs(5);
/// NVML field ids of the row-remapping counters (`nvml.h`: `NVML_FI_DEV_REMAPPED_*`).
const REMAPPED_UNCORRECTABLE: u32 = 143;
const REMAPPED_FAILURE: u32 = 145;

/// What NVML answers about one GPU, field by field.
pub struct RawGpu {
	pub name: Result<String, NvmlError>,
	pub uuid: Result<String, NvmlError>,
	/// (total, used) bytes.
	pub memory: Result<(u64, u64), NvmlError>,
	pub utilization: Result<u32, NvmlError>,
	pub temperature: Result<u32, NvmlError>,
	pub power_mw: Result<u32, NvmlError>,
	pub ecc: Result<u64, NvmlError>,
	pub retired_pages: Result<u32, NvmlError>,
	/// (uncorrectable rows remapped, a remapping failed).
	pub remapped: Result<(u32, bool), NvmlError>,
	pub capability: Result<(u8, u8), NvmlError>,
}

/// The driver as the degradation logic reads it: NVML on a host, a fake in tests.
pub trait GpuSource {
	fn count(&self) -> Result<u32, NvmlError>;
	fn driver_version(&self) -> Result<String, NvmlError>;
	fn cuda_version(&self) -> Result<String, NvmlError>;
	/// GPU `index`; an error means its handle could not be had: the GPU is lost.
	fn gpu(&self, index: u32) -> Result<RawGpu, NvmlError>;
}

/// Builds a report from `source`, each failed field `None`. `known` holds each index's UUID
/// from earlier reads, so a GPU that is lost now is reported under the UUID it had; `xids`
/// the Xid errors counted by UUID (absent: not watched).
pub fn assemble(
	source: &dyn GpuSource,
	known: &mut BTreeMap<u32, String>,
	xids: &BTreeMap<String, u64>,
) -> Result<GpuReport, NvmlError> {
	let mut errors = 0u32;
	let mut gpus = Vec::new();
	for index in 0..source.count()? {
		let Some(raw) = take(source.gpu(index), &mut false, &mut errors) else {
			let uuid = known.get(&index).cloned().unwrap_or_else(|| format!("GPU-unknown-{index}"));
			gpus.push(GpuReading {
				index,
				name: "unknown".into(),
				uuid,
				lost: true,
				..Default::default()
			});
			continue;
		};
		let mut read = Reader { lost: false, errors: 0 };
		let uuid = read
			.take(raw.uuid)
			.or_else(|| known.get(&index).cloned())
			.unwrap_or_else(|| format!("GPU-unknown-{index}"));
		known.insert(index, uuid.clone());
		let memory = read.take(raw.memory);
		let remapped = read.take(raw.remapped);
		let reading = GpuReading {
			index,
			name: read.take(raw.name).unwrap_or_else(|| "unknown".into()),
			lost: false,
			memory_total_mib: memory.map(|(total, _)| total / MIB),
			memory_used_mib: memory.map(|(_, used)| used / MIB),
			utilization_percent: read.take(raw.utilization),
			temperature_c: read.take(raw.temperature),
			power_mw: read.take(raw.power_mw),
			ecc_errors: read.take(raw.ecc),
			xid_errors: xids.get(&uuid).copied(),
			retired_pages: read.take(raw.retired_pages),
			remapped_rows: remapped.map(|(rows, _)| rows),
			row_remap_failed: remapped.is_some_and(|(_, failed)| failed),
			compute_capability: read.take(raw.capability),
			uuid,
		};
		errors = errors.saturating_add(read.errors);
		gpus.push(if read.lost {
			// A field said the GPU is gone: nothing else read from it stands.
			GpuReading {
				index,
				uuid: reading.uuid,
				name: reading.name,
				lost: true,
				..Default::default()
			}
		} else {
			reading
		});
	}
	Ok(GpuReport {
		driver_version: source.driver_version()?,
		cuda_version: source.cuda_version()?,
		gpus,
		simulated: false,
		errors,
	})
}

/// One NVML answer as a reading: what the GPU does not offer is `None` quietly; a failure is
/// `None` and counted; `GpuLost` marks the GPU lost.
fn take<T>(result: Result<T, NvmlError>, lost: &mut bool, errors: &mut u32) -> Option<T> {
	match result {
		Ok(value) => Some(value),
		Err(NvmlError::NotSupported) => None,
		Err(e) => {
			*lost |= matches!(e, NvmlError::GpuLost);
			*errors = errors.saturating_add(1);
			None
		},
	}
}

/// `take` for the fields of one GPU.
struct Reader {
	lost: bool,
	errors: u32,
}

impl Reader {
	fn take<T>(&mut self, result: Result<T, NvmlError>) -> Option<T> {
		take(result, &mut self.lost, &mut self.errors)
	}
}

impl GpuSource for Nvml {
	fn count(&self) -> Result<u32, NvmlError> {
		self.device_count()
	}

	fn driver_version(&self) -> Result<String, NvmlError> {
		self.sys_driver_version()
	}

	fn cuda_version(&self) -> Result<String, NvmlError> {
		let cuda = self.sys_cuda_driver_version()?;
		Ok(format!(
			"{}.{}",
			nvml_wrapper::cuda_driver_version_major(cuda),
			nvml_wrapper::cuda_driver_version_minor(cuda)
		))
	}

	fn gpu(&self, index: u32) -> Result<RawGpu, NvmlError> {
		let device = self.device_by_index(index)?;
		let retired = |cause| device.retired_pages(cause).map(|pages| pages.len() as u32);
		let remapped = device
			.field_values_for(&[FieldId(REMAPPED_UNCORRECTABLE), FieldId(REMAPPED_FAILURE)])
			.and_then(|values| {
				let mut values = values.into_iter().map(|sample| {
					match sample.and_then(|sample| sample.value)? {
						SampleValue::U32(v) => Ok(u64::from(v)),
						SampleValue::U64(v) => Ok(v),
						_ => Err(NvmlError::UnexpectedVariant(0)),
					}
				});
				let mut next = || values.next().unwrap_or(Err(NvmlError::NotSupported));
				let rows = next()?;
				Ok((rows.min(u64::from(u32::MAX)) as u32, next()? != 0))
			});
		Ok(RawGpu {
			name: device.name(),
			uuid: device.uuid(),
			memory: device.memory_info().map(|m| (m.total, m.used)),
			utilization: device.utilization_rates().map(|u| u.gpu),
			temperature: device.temperature(TemperatureSensor::Gpu),
			power_mw: device.power_usage(),
			// Consumer GPUs have no ECC: NotSupported, a fact rather than a failure.
			ecc: device.total_ecc_errors(MemoryError::Uncorrected, EccCounter::Aggregate),
			retired_pages: retired(RetirementCause::MultipleSingleBitEccErrors).and_then(
				|single| Ok(single.saturating_add(retired(RetirementCause::DoubleBitEccError)?)),
			),
			remapped,
			capability: device
				.cuda_compute_capability()
				.map(|c| (c.major.clamp(0, 255) as u8, c.minor.clamp(0, 255) as u8)),
		})
	}
}

/// Critical Xid errors seen since the worker started, by GPU UUID (a GPU is present once it is
/// watched).
type XidCounts = Arc<Mutex<BTreeMap<String, u64>>>;

/// Reads GPUs through the NVIDIA Management Library.
pub struct NvmlProbe {
	/// `None` after a failure: initialised again at the next read.
	nvml: Mutex<Option<Nvml>>,
	known: Mutex<BTreeMap<u32, String>>,
	xids: XidCounts,
}

impl NvmlProbe {
	/// Loads NVML; fails with a message naming the way out when the driver is missing.
	pub fn new() -> Result<Self, Error> {
		let nvml = Nvml::init().map_err(|e| Error::NvmlUnavailable(e.to_string()))?;
		let xids = XidCounts::default();
		let watched = xids.clone();
		let _ =
			std::thread::Builder::new().name("gpux-xid".into()).spawn(move || watch_xids(&watched));
		Ok(Self { nvml: Mutex::new(Some(nvml)), known: Mutex::default(), xids })
	}
}

impl NvmlProbe {
	/// The NVML handle, initialised again if the last read failed. A read still hanging in
	/// the driver holds the lock: wait a little, then fail this one rather than queue behind it.
	fn handle(&self) -> Result<std::sync::MutexGuard<'_, Option<Nvml>>, Error> {
		let mut waited = Duration::ZERO;
		let mut nvml = loop {
			match self.nvml.try_lock() {
				Ok(nvml) => break nvml,
				Err(std::sync::TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
				Err(std::sync::TryLockError::WouldBlock) if waited < LOCK_WAIT => {
					std::thread::sleep(Duration::from_millis(50));
					waited += Duration::from_millis(50);
				},
				Err(std::sync::TryLockError::WouldBlock) => {
					return Err(Error::Nvml("GPUs", "an earlier read has not returned".into()))
				},
			}
		};
		if nvml.is_none() {
			*nvml = Some(Nvml::init().map_err(|e| Error::NvmlUnavailable(e.to_string()))?);
			tracing::info!(target: "gpu", "NVML initialised again");
		}
		Ok(nvml)
	}
}

impl GpuProbe for NvmlProbe {
	fn read(&self) -> Result<GpuReport, Error> {
		let mut nvml = self.handle()?;
		let source = nvml.as_ref().ok_or_else(|| Error::NvmlUnavailable("not loaded".into()))?;
		let xids = self.xids.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
		let mut known = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		match assemble(source, &mut known, &xids) {
			Ok(report) => {
				if report.gpus.iter().any(|gpu| gpu.lost) {
					tracing::warn!(target: "gpu", "a GPU is lost; NVML is initialised again at the next read");
					*nvml = None;
				}
				Ok(report)
			},
			Err(e) => {
				*nvml = None;
				Err(Error::Nvml("GPUs", e.to_string()))
			},
		}
	}

	fn cc_evidence(&self, nonce: &[u8; 32]) -> Result<Option<Vec<GpuEvidence>>, Error> {
		let failed = |what: &'static str| move |e: NvmlError| Error::Nvml(what, e.to_string());
		let (count, driver) = {
			let nvml = self.handle()?;
			let nvml = nvml.as_ref().ok_or_else(|| Error::NvmlUnavailable("not loaded".into()))?;
			let count = nvml.device_count().map_err(failed("GPU count"))?;
			// A setting of the whole system, asked through any GPU: confidential computing, or
			// protected PCIe (the multi-GPU mode of HGX systems), both of which attest.
			let mode = nvml.device_by_index(0).and_then(|gpu| {
				Ok(gpu.is_cc_enabled()? || gpu.is_multi_gpu_protected_pcie_enabled()?)
			});
			match mode {
				Ok(true) if count > 0 => {},
				// Off, or a GPU or driver without it.
				Ok(_)
				| Err(
					NvmlError::NotSupported
					| NvmlError::FunctionNotFound
					| NvmlError::FailedToLoadSymbol(_)
					| NvmlError::InvalidArg,
				) => return Ok(None),
				Err(e) => return Err(failed("confidential-computing mode")(e)),
			}
			(count, nvml.sys_driver_version().map_err(failed("driver version"))?)
		};
		let mut evidence = Vec::new();
		// The lock is taken per GPU, so heartbeats are not kept waiting behind all of them.
		for index in 0..count {
			let mut nvml = self.handle()?;
			let source =
				nvml.as_ref().ok_or_else(|| Error::NvmlUnavailable("not loaded".into()))?;
			match gpu_evidence(source, index, nonce, &driver) {
				Ok(Some(gpu)) => evidence.push(gpu),
				Ok(None) => return Ok(None),
				Err(e) => {
					*nvml = None;
					return Err(failed("attestation report")(e));
				},
			}
		}
		Ok(Some(evidence))
	}
}

/// GPU `index`'s attestation report for `nonce` and its certificate chain; `None` for a GPU
/// that does not attest (before Hopper).
fn gpu_evidence(
	nvml: &Nvml,
	index: u32,
	nonce: &[u8; 32],
	driver: &str,
) -> Result<Option<GpuEvidence>, NvmlError> {
	let gpu = nvml.device_by_index(index)?;
	let major = gpu.cuda_compute_capability()?.major;
	let Some(arch) = u8::try_from(major).ok().and_then(evidence::arch_of) else {
		return Ok(None);
	};
	let report = gpu.confidential_compute_gpu_attestation_report(*nonce)?;
	let certificates = gpu.confidential_compute_gpu_certificate()?;
	Ok(Some(GpuEvidence::new(
		arch,
		nonce,
		gpu.vbios_version()?,
		driver.to_string(),
		&report.attestation_report,
		&certificates.attestation_cert_chain,
	)))
}

/// Counts critical Xid events into `counts`, on its own NVML handle; starts again after an
/// error. Runs for the life of the process.
fn watch_xids(counts: &XidCounts) {
	loop {
		if let Err(e) = watch_xids_once(counts) {
			tracing::warn!(target: "gpu", "Xid events: {e}; watching again in 30 s");
		}
		std::thread::sleep(Duration::from_secs(30));
	}
}

fn watch_xids_once(counts: &XidCounts) -> Result<(), NvmlError> {
	let nvml = Nvml::init()?;
	let mut set = nvml.create_event_set()?;
	for index in 0..nvml.device_count()? {
		let device = nvml.device_by_index(index)?;
		if !device.supported_event_types()?.contains(EventTypes::CRITICAL_XID_ERROR) {
			continue;
		}
		set = device.register_events(EventTypes::CRITICAL_XID_ERROR, set).map_err(|e| e.error)?;
		let uuid = device.uuid()?;
		counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(uuid).or_insert(0);
	}
	loop {
		match set.wait(5_000) {
			Ok(event) => {
				let uuid = event.device.uuid()?;
				tracing::error!(target: "gpu", %uuid, xid = ?event.event_data, "Xid error");
				let mut counts = counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
				let count = counts.entry(uuid).or_insert(0);
				*count = count.saturating_add(1);
			},
			Err(NvmlError::Timeout) => continue,
			Err(e) => return Err(e),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// CI machines have no NVIDIA driver: the probe must say so, not crash.
	#[test]
	fn without_the_driver_the_probe_explains_itself() {
		match NvmlProbe::new() {
			Ok(probe) => assert!(probe.read().is_ok(), "NVML is here: reading must work"),
			Err(e) => {
				let message = e.to_string();
				assert!(message.contains("NVML") && message.contains("--simulate"), "{message}");
			},
		}
	}

	/// Two RTX 4090s whose driver fails one field of GPU 0, and loses GPU 1 from the second
	/// read on.
	struct Failing {
		lose_second: bool,
	}

	impl GpuSource for Failing {
		fn count(&self) -> Result<u32, NvmlError> {
			Ok(2)
		}
		fn driver_version(&self) -> Result<String, NvmlError> {
			Ok("550.54.15".into())
		}
		fn cuda_version(&self) -> Result<String, NvmlError> {
			Ok("12.4".into())
		}
		fn gpu(&self, index: u32) -> Result<RawGpu, NvmlError> {
			if index == 1 && self.lose_second {
				return Err(NvmlError::GpuLost);
			}
			Ok(RawGpu {
				name: Ok("NVIDIA GeForce RTX 4090".into()),
				uuid: Ok(format!("GPU-{index}")),
				memory: Ok((24_564 * MIB, 1_000 * MIB)),
				utilization: Ok(50),
				temperature: if index == 0 { Err(NvmlError::Unknown) } else { Ok(60) },
				power_mw: Ok(300_000),
				ecc: Err(NvmlError::NotSupported),
				retired_pages: Err(NvmlError::NotSupported),
				remapped: Ok((2, false)),
				capability: Ok((8, 9)),
			})
		}
	}

	#[test]
	fn one_failed_field_or_one_lost_gpu_degrades_only_that_reading() {
		let mut known = BTreeMap::new();
		let xids = BTreeMap::from([("GPU-0".to_string(), 3)]);
		let report = assemble(&Failing { lose_second: false }, &mut known, &xids).unwrap();
		let (first, second) = (&report.gpus[0], &report.gpus[1]);
		// The failed temperature is missing and counted; the rest of GPU 0 stands.
		assert_eq!(first.temperature_c, None);
		assert_eq!((first.memory_total_mib, first.utilization_percent), (Some(24_564), Some(50)));
		assert_eq!((first.remapped_rows, first.xid_errors), (Some(2), Some(3)));
		// What the GPU does not offer is missing but is not a failure.
		assert_eq!((first.ecc_errors, first.retired_pages), (None, None));
		assert_eq!(report.errors, 1);
		assert_eq!(second.temperature_c, Some(60));
		assert_eq!(second.xid_errors, None, "not watched");

		// GPU 1 falls off the bus: reported lost under the UUID it had, GPU 0 still read.
		let report = assemble(&Failing { lose_second: true }, &mut known, &xids).unwrap();
		assert!(report.gpus[1].lost && report.gpus[1].uuid == "GPU-1");
		assert_eq!(report.gpus[1].memory_total_mib, None);
		assert!(!report.gpus[0].lost && report.gpus[0].memory_total_mib == Some(24_564));
		assert_eq!(report.errors, 2);
	}
}
