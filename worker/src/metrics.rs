//! Prometheus metrics of the running worker, served on `--metrics ADDR` at `/metrics`.

use substrate_prometheus_endpoint::{
	exponential_buckets, register, Counter, CounterVec, Gauge, Histogram, HistogramOpts, Opts,
	PrometheusError, Registry, U64,
};

/// What the worker counts.
#[derive(Clone)]
pub struct Metrics {
	pub best_block: Gauge<U64>,
	pub heartbeats_sent: Counter<U64>,
	pub heartbeats_refused: Counter<U64>,
	pub heartbeats_landed: Counter<U64>,
	pub challenges_committed: Counter<U64>,
	pub challenges_revealed: Counter<U64>,
	pub gpu_evidence_attested: Counter<U64>,
	/// By `outcome`: passed, failed, missed (the chain's verdict on this machine's challenges).
	pub challenges_decided: CounterVec<U64>,
	pub challenge_solve_seconds: Histogram,
	pub challenge_cpu_fallbacks: Counter<U64>,
	pub nvml_errors: Counter<U64>,
	pub leases_started: Counter<U64>,
	pub leases_ended: Counter<U64>,
	pub leases_active: Gauge<U64>,
	pub lease_restarts: Counter<U64>,
	pub provisioning_errors: Counter<U64>,
	pub reconnects: Counter<U64>,
	pub heads_stalls: Counter<U64>,
	/// By `task`: heartbeat, challenges, leases.
	pub task_restarts: CounterVec<U64>,
	pub spec_version: Gauge<U64>,
	pub runtime_changes_unmet: Gauge<U64>,
}

impl Metrics {
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let counter = |name: &str, help: &str| register(Counter::new(name, help)?, registry);
		let gauge = |name: &str, help: &str| register(Gauge::new(name, help)?, registry);
		let by = |name: &str, help: &str, label: &str| {
			register(CounterVec::new(Opts::new(name, help), &[label])?, registry)
		};
		Ok(Self {
			best_block: gauge("gpux_worker_best_block", "Best block the worker has seen")?,
			heartbeats_sent: counter(
				"gpux_worker_heartbeats_sent_total",
				"Heartbeats accepted by the pool",
			)?,
			heartbeats_refused: counter(
				"gpux_worker_heartbeats_refused_total",
				"Heartbeats the pool refused",
			)?,
			heartbeats_landed: counter(
				"gpux_worker_heartbeats_landed_total",
				"Heartbeat windows the chain recorded for this machine",
			)?,
			challenges_committed: counter(
				"gpux_worker_challenges_committed_total",
				"Challenge commitments sent",
			)?,
			gpu_evidence_attested: counter(
				"gpux_worker_gpu_evidence_attested_total",
				"Challenges whose GPU confidential-computing evidence was attested",
			)?,
			challenges_revealed: counter(
				"gpux_worker_challenges_revealed_total",
				"Challenge reveals sent",
			)?,
			challenges_decided: by(
				"gpux_worker_challenges_decided_total",
				"This machine's challenges as the chain decided them",
				"outcome",
			)?,
			challenge_solve_seconds: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"gpux_worker_challenge_solve_seconds",
						"Time to solve a challenge",
					)
					.buckets(exponential_buckets(0.01, 2.0, 14)?),
				)?,
				registry,
			)?,
			challenge_cpu_fallbacks: counter(
				"gpux_worker_challenge_cpu_fallbacks_total",
				"Challenges solved on the CPU because the GPU solver failed or every GPU was leased",
			)?,
			nvml_errors: counter(
				"gpux_worker_nvml_errors_total",
				"GPU readings that failed (each field or GPU that could not be read)",
			)?,
			leases_started: counter(
				"gpux_worker_leases_started_total",
				"Lease workspaces started",
			)?,
			leases_ended: counter("gpux_worker_leases_ended_total", "Lease workspaces removed")?,
			leases_active: gauge("gpux_worker_leases_active", "Lease workspaces on this host")?,
			lease_restarts: counter(
				"gpux_worker_lease_restarts_total",
				"Lease workspaces found stopped or gone mid-lease and started again",
			)?,
			provisioning_errors: counter(
				"gpux_worker_provisioning_errors_total",
				"Lease provisioning steps that failed (each is tried again)",
			)?,
			reconnects: counter("gpux_worker_reconnects_total", "Connections to the node re-made")?,
			heads_stalls: counter(
				"gpux_worker_heads_stalls_total",
				"Times no new block came for too long and the worker reconnected",
			)?,
			task_restarts: by(
				"gpux_worker_task_restarts_total",
				"Tasks restarted after a panic or a stalled step",
				"task",
			)?,
			spec_version: gauge(
				"gpux_worker_runtime_spec_version",
				"The chain's runtime spec_version",
			)?,
			runtime_changes_unmet: gauge(
				"gpux_worker_runtime_changes_unmet",
				"Calls and storage entries the worker uses that the runtime changed (0: all work)",
			)?,
		})
	}
}
