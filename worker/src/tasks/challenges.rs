//! Proof-of-GPU challenges addressed to this machine: solve and commit, then reveal the rows
//! drawn from the commit block's hash. Solutions are kept in memory; after a restart the
//! (deterministic) product is recomputed and checked against the committed root.

use std::collections::BTreeMap;

use gpux_primitives::{
	attestation::{drawn_rows, WorkerStatement},
	ChallengeId,
};
use pallet_attestation::{ChallengeRecordOf, ChallengeState};

use super::Context;
use crate::{
	chain::{self, keys, AttestationCall},
	challenge::Solution,
	client::{Chain, Head, Submitted},
	error::Error,
};

type Record = ChallengeRecordOf<gpux_runtime::Runtime>;

/// Per challenge: its solution and the block we last sent something for it.
#[derive(Default)]
struct Work {
	solutions: BTreeMap<ChallengeId, std::sync::Arc<Solution>>,
	sent: BTreeMap<ChallengeId, u32>,
}

pub async fn run(mut ctx: Context) {
	let mut work = Work::default();
	while let Some((chain, head)) = ctx.next_block().await {
		if let Err(e) = step(&ctx, &chain, head, &mut work).await {
			tracing::warn!(target: "challenge", "{e}");
		}
	}
}

async fn solve(ctx: &Context, record: &Record) -> Result<std::sync::Arc<Solution>, Error> {
	let (seed, size, solver) = (record.seed, record.size, ctx.solver.clone());
	let started = std::time::Instant::now();
	let solution = tokio::task::spawn_blocking(move || solver.solve(&seed, size))
		.await
		.map_err(|e| Error::Cuda(format!("solver thread: {e}")))??;
	tracing::info!(
		target: "challenge",
		size,
		seconds = started.elapsed().as_secs_f64(),
		on = %ctx.solver.name(),
		"solved"
	);
	Ok(std::sync::Arc::new(solution))
}

async fn step(ctx: &Context, chain: &Chain, head: Head, work: &mut Work) -> Result<(), Error> {
	let open: Vec<ChallengeId> = chain.storage(&keys::open_challenges()).await?.unwrap_or_default();
	work.solutions.retain(|id, _| open.contains(id));
	work.sent.retain(|id, _| open.contains(id));
	for id in open {
		let Some(record) = chain.storage::<Record>(&keys::challenge(id)).await? else { continue };
		if record.machine != ctx.machine {
			continue;
		}
		// One submission per state and a few blocks: the pool holds it meanwhile.
		if work.sent.get(&id).is_some_and(|at| head.number < at.saturating_add(3)) {
			continue;
		}
		let call = match record.state {
			ChallengeState::AwaitingCommit => {
				let solution = match work.solutions.get(&id) {
					Some(s) => s.clone(),
					None => solve(ctx, &record).await?,
				};
				work.solutions.insert(id, solution.clone());
				let root = solution.commitment();
				let statement = WorkerStatement::ChallengeCommitted { challenge: id, root };
				let signature = ctx.key.sign(&statement, &chain.genesis);
				ctx.metrics.challenges_committed.inc();
				AttestationCall::commit_challenge { challenge: id, root, signature }
			},
			ChallengeState::Committed { root, at } if head.number > at => {
				let solution = match work.solutions.get(&id) {
					Some(s) => s.clone(),
					None => solve(ctx, &record).await?,
				};
				if solution.commitment() != root {
					tracing::error!(target: "challenge", id, "the committed root is not this machine's product");
					continue;
				}
				let Some(hash) = chain.block_hash(at).await? else { continue };
				let rows = drawn_rows(&record.seed, &hash, record.size, record.rows);
				let Some(revealed) = solution.reveal(&rows) else { continue };
				let statement = WorkerStatement::revealed(id, &revealed);
				let signature = ctx.key.sign(&statement, &chain.genesis);
				ctx.metrics.challenges_revealed.inc();
				AttestationCall::reveal_challenge { challenge: id, rows: revealed, signature }
			},
			_ => continue,
		};
		match chain.submit(&chain::bare(call)).await? {
			Submitted::Accepted => tracing::info!(target: "challenge", id, "answer sent"),
			other => tracing::warn!(target: "challenge", id, "answer refused: {other:?}"),
		}
		work.sent.insert(id, head.number);
	}
	Ok(())
}
