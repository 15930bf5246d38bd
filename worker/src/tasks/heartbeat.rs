//! One heartbeat per window: read the GPUs, sign, send; again until it has landed. Each
//! window that lands is counted (`heartbeats_landed`), not only each one sent.

use gpux_primitives::attestation::WorkerStatement;
use pallet_attestation::WindowAnchor;

use super::Context;
use crate::{
	chain::{self, keys, AttestationCall, Samples},
	client::{Chain, Head, Submitted},
	compat::Duty,
	error::Error,
};

/// How the chain numbers windows: `attestation.heartbeatWindows`, which governance moves when
/// it changes the interval (from genesis on; before it, the launch default of a minute).
async fn windows(chain: &Chain) -> Result<WindowAnchor<u32>, Error> {
	let stored = chain.storage(&keys::heartbeat_windows()).await?;
	Ok(stored.unwrap_or(WindowAnchor { block: 0, window: 0, interval: gpux_runtime::MINUTES }))
}

/// The window a transaction sent now is checked in: the pool validates against the next block.
pub fn window_for(best: u32, windows: &WindowAnchor<u32>) -> u32 {
	windows.window_of(best.saturating_add(1))
}

/// The heartbeat task's memory between blocks.
#[derive(Default)]
struct Beats {
	samples: Samples,
	/// The window last sent for and the block it was sent at: resent if it has not landed
	/// after a few blocks (a node restart empties the pool).
	sent: Option<(u32, u32)>,
	/// The last window counted as landed.
	landed: Option<u32>,
}

pub async fn run(mut ctx: Context) {
	let mut beats = Beats::default();
	while let Some((chain, head)) = ctx.next_block().await {
		if !ctx.allows(Duty::Heartbeats) {
			continue;
		}
		if let Err(e) = step(&ctx, &chain, head, &mut beats).await {
			tracing::warn!(target: "heartbeat", "{e}");
		}
	}
}

async fn step(ctx: &Context, chain: &Chain, head: Head, beats: &mut Beats) -> Result<(), Error> {
	let window = window_for(head.number, &windows(chain).await?);
	let record: Option<pallet_attestation::HeartbeatRecordOf<gpux_runtime::Runtime>> =
		chain.storage(&keys::heartbeat(ctx.machine)).await?;
	if let (Some(record), Some((sent, _))) = (&record, beats.sent) {
		if record.received_at.is_some() && record.last_window == sent && beats.landed != Some(sent)
		{
			beats.landed = Some(sent);
			ctx.metrics.heartbeats_landed.inc();
		}
	}
	if record.is_some_and(|r| !r.accepts(window)) {
		return Ok(());
	}
	if beats.sent.is_some_and(|(w, at)| w == window && head.number < at.saturating_add(3)) {
		return Ok(());
	}
	let report = ctx.read_gpus().await.inspect_err(|_| ctx.metrics.nvml_errors.inc())?;
	ctx.metrics.nvml_errors.inc_by(report.errors.into());
	let samples = &mut beats.samples;
	let telemetry = chain::telemetry(&report, samples.record(&report));
	let statement = WorkerStatement::heartbeat(ctx.machine, window, &telemetry);
	let signature = ctx.key.sign(&statement, &chain.genesis);
	let call = AttestationCall::heartbeat { machine: ctx.machine, window, telemetry, signature };
	match chain.submit(&chain::bare(call)).await? {
		Submitted::Accepted => {
			ctx.metrics.heartbeats_sent.inc();
			tracing::info!(target: "heartbeat", window, block = head.number, "heartbeat sent");
		},
		other => {
			ctx.metrics.heartbeats_refused.inc();
			tracing::warn!(target: "heartbeat", window, "heartbeat refused: {other:?}");
		},
	}
	beats.sent = Some((window, head.number));
	Ok(())
}
