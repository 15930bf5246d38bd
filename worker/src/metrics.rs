//! Prometheus metrics of the running worker, served on `--metrics ADDR` at `/metrics`.

use substrate_prometheus_endpoint::{register, Counter, Gauge, PrometheusError, Registry, U64};

/// What the worker counts.
#[derive(Clone)]
pub struct Metrics {
	pub best_block: Gauge<U64>,
	pub heartbeats_sent: Counter<U64>,
	pub heartbeats_refused: Counter<U64>,
	pub challenges_committed: Counter<U64>,
	pub challenges_revealed: Counter<U64>,
	pub leases_started: Counter<U64>,
	pub leases_ended: Counter<U64>,
	pub leases_active: Gauge<U64>,
	pub lease_restarts: Counter<U64>,
	pub provisioning_errors: Counter<U64>,
	pub reconnects: Counter<U64>,
}

impl Metrics {
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let counter = |name: &str, help: &str| register(Counter::new(name, help)?, registry);
		Ok(Self {
			best_block: register(
				Gauge::new("gpux_worker_best_block", "Best block the worker has seen")?,
				registry,
			)?,
			heartbeats_sent: counter(
				"gpux_worker_heartbeats_sent_total",
				"Heartbeats accepted by the pool",
			)?,
			heartbeats_refused: counter(
				"gpux_worker_heartbeats_refused_total",
				"Heartbeats the pool refused",
			)?,
			challenges_committed: counter(
				"gpux_worker_challenges_committed_total",
				"Challenge commitments sent",
			)?,
			challenges_revealed: counter(
				"gpux_worker_challenges_revealed_total",
				"Challenge reveals sent",
			)?,
			leases_started: counter(
				"gpux_worker_leases_started_total",
				"Lease workspaces started",
			)?,
			leases_ended: counter("gpux_worker_leases_ended_total", "Lease workspaces removed")?,
			leases_active: register(
				Gauge::new("gpux_worker_leases_active", "Lease workspaces on this host")?,
				registry,
			)?,
			lease_restarts: counter(
				"gpux_worker_lease_restarts_total",
				"Lease workspaces found stopped or gone mid-lease and started again",
			)?,
			provisioning_errors: counter(
				"gpux_worker_provisioning_errors_total",
				"Lease provisioning steps that failed (each is tried again)",
			)?,
			reconnects: counter("gpux_worker_reconnects_total", "Connections to the node re-made")?,
		})
	}
}
