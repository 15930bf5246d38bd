//! One heartbeat per window: read the GPUs, sign, send; again until it has landed.

use gpux_primitives::attestation::WorkerStatement;
use pallet_attestation::WindowAnchor;

use super::Context;
use crate::{
	chain::{self, keys, AttestationCall, Samples},
	client::{Chain, Head, Submitted},
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

pub async fn run(mut ctx: Context) {
	let mut samples = Samples::default();
	// The window last sent for and the block it was sent at: resent if it has not landed
	// after a few blocks (a node restart empties the pool).
	let mut sent: Option<(u32, u32)> = None;
	while let Some((chain, head)) = ctx.next_block().await {
		if let Err(e) = step(&ctx, &chain, head, &mut samples, &mut sent).await {
			tracing::warn!(target: "heartbeat", "{e}");
		}
	}
}

async fn step(
	ctx: &Context,
	chain: &Chain,
	head: Head,
	samples: &mut Samples,
	sent: &mut Option<(u32, u32)>,
) -> Result<(), Error> {
	let window = window_for(head.number, &windows(chain).await?);
	let record: Option<pallet_attestation::HeartbeatRecordOf<gpux_runtime::Runtime>> =
		chain.storage(&keys::heartbeat(ctx.machine)).await?;
	if record.is_some_and(|r| !r.accepts(window)) {
		return Ok(());
	}
	if sent.is_some_and(|(w, at)| w == window && head.number < at.saturating_add(3)) {
		return Ok(());
	}
	let report = ctx.probe.read()?;
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
	*sent = Some((window, head.number));
	Ok(())
}
