//! Proof-of-GPU challenges addressed to this machine: solve and commit, then reveal the rows
//! drawn by the verifiers' beacon after the epoch's last commit deadline. Solutions are kept in memory; after a restart the
//! (deterministic) final rows are recomputed and checked against the committed root. The solve
//! runs on a GPU no lease holds (`ChallengeSolver::solve_avoiding`); if the GPU solver fails,
//! the CPU answers instead. When a challenge closes, the chain's verdict on it (its
//! `ChallengeDecided` event) is counted by outcome. Where the GPUs are in confidential-computing
//! mode, their attestation reports for the challenge's nonce are kept in the evidence folder and
//! their file's hash attested before the solve (`gpu::evidence`).

use std::{
	collections::{BTreeMap, BTreeSet},
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

use gpux_primitives::{
	attestation::{cc_nonce, drawn_rows, WorkerStatement},
	ChallengeId,
};
use pallet_attestation::{ChallengeOutcome, ChallengeRecordOf, ChallengeState};
use sp_crypto_hashing::blake2_256;

use super::Context;
use crate::{
	chain::{self, keys, AttestationCall},
	challenge::{self, Solution},
	client::{Chain, Head, Submitted},
	compat::Duty,
	error::Error,
	files,
	gpu::evidence::{self, EvidenceFile},
};

type Record = ChallengeRecordOf<gpux_runtime::Runtime>;
type EventRecords = Vec<frame_system::EventRecord<gpux_runtime::RuntimeEvent, sp_core::H256>>;

/// How many blocks back the verdict on a closed challenge is looked for.
const VERDICT_LOOKBACK: u32 = 20;

/// Evidence files kept (the newest): weeks of challenges; up to ≈ 100 KiB each (8 GPUs).
const EVIDENCE_FILES_KEPT: usize = 256;

/// Per challenge: its solution, the block we last sent something for it, and the block it was
/// last seen open at.
#[derive(Default)]
struct Work {
	solutions: BTreeMap<ChallengeId, std::sync::Arc<Solution>>,
	sent: BTreeMap<ChallengeId, u32>,
	seen_open: BTreeMap<ChallengeId, u32>,
	/// Challenges whose GPU evidence is done with: attested, not offered, or failed to fetch.
	evidence_done: BTreeSet<ChallengeId>,
	/// Where evidence files go.
	evidence_dir: PathBuf,
}

pub async fn run(mut ctx: Context, evidence_dir: PathBuf) {
	let mut work = Work { evidence_dir, ..Work::default() };
	while let Some((chain, head)) = ctx.next_block().await {
		if !ctx.allows(Duty::Challenges) {
			continue;
		}
		if let Err(e) = step(&ctx, &chain, head, &mut work).await {
			tracing::warn!(target: "challenge", "{e}");
		}
	}
}

/// The time from block `now` to block `by`.
fn time_until(now: u32, by: u32) -> Duration {
	let blocks = u64::from(by.saturating_sub(now));
	Duration::from_millis(blocks.saturating_mul(gpux_runtime::MILLI_SECS_PER_BLOCK))
}

/// Solves `record`'s challenge, which must be answered within `deadline`.
async fn solve(
	ctx: &Context,
	record: &Record,
	deadline: Duration,
) -> Result<std::sync::Arc<Solution>, Error> {
	let (seed, size, solver) = (record.seed, record.size, ctx.solver.clone());
	// The GPUs leases hold, by UUID, so the solve can keep off them.
	let (provisioner, probe) = (ctx.provisioner.clone(), ctx.probe.clone());
	let started = std::time::Instant::now();
	let (solution, fell_back) = tokio::task::spawn_blocking(move || {
		// Unknown (a read failed) counts as every GPU leased, not as none.
		let leased: Option<Vec<String>> = provisioner.active().ok().and_then(|active| {
			let held: Vec<u32> = active.into_iter().flat_map(|a| a.gpus).collect();
			let report = probe.read().ok()?;
			Some(
				report
					.gpus
					.into_iter()
					.filter(|g| held.contains(&g.index))
					.map(|g| g.uuid)
					.collect(),
			)
		});
		challenge::solve_or_fall_back(solver.as_ref(), &seed, size, leased.as_deref(), deadline)
	})
	.await
	.map_err(|e| Error::Cuda(format!("solver thread: {e}")))??;
	let seconds = started.elapsed().as_secs_f64();
	ctx.metrics.challenge_solve_seconds.observe(seconds);
	if fell_back {
		ctx.metrics.challenge_cpu_fallbacks.inc();
	}
	let on = if fell_back { "CPU (fallback)".to_string() } else { ctx.solver.name() };
	tracing::info!(target: "challenge", rows = size.rows, rounds = size.rounds, seconds, %on, "solved");
	Ok(std::sync::Arc::new(solution))
}

/// Longest the GPUs' attestation reports may take: they come before the solve.
const EVIDENCE_LIMIT: Duration = Duration::from_secs(10);

/// What became of a challenge's GPU evidence in this step.
enum Evidence {
	/// Nothing more to do: attested (now or before), or the GPUs do not offer it.
	Done,
	/// Not done; worth another try in a later block (the file is kept: a retry resends it).
	Retry,
}

/// Fetches the GPUs' confidential-computing reports for challenge `id`, keeps them in a file
/// and attests its hash, within `limit`. Nothing where the GPUs do not offer them. A file
/// already there (from before a restart) is never fetched again: its hash is what may be on
/// chain, and new reports would differ byte for byte.
async fn attest_evidence(
	ctx: &Context,
	chain: &Chain,
	id: ChallengeId,
	record: &Record,
	dir: &Path,
	limit: Duration,
) -> Result<Evidence, Error> {
	if chain.storage::<[u8; 32]>(&keys::gpu_evidence_hash(id)).await?.is_some() {
		return Ok(Evidence::Done);
	}
	let file = dir.join(format!("challenge-{id}.json"));
	// A file of this challenge (from before a restart) is resent; one of another chain's
	// challenge with this id, or a damaged one, is replaced: nothing of it is on chain.
	let kept = std::fs::read(&file)
		.ok()
		.filter(|bytes| evidence::check(bytes, &record.seed, &blake2_256(bytes)).is_ok());
	let bytes = match kept {
		Some(bytes) => bytes,
		None => {
			let nonce = cc_nonce(&record.seed);
			let fetched =
				ctx.on_gpus("attestation reports", limit, move |probe| probe.cc_evidence(&nonce));
			let Some(evidences) = fetched.await? else { return Ok(Evidence::Done) };
			let bytes = EvidenceFile::new(evidences).to_bytes()?;
			files::write_atomically(&file, &bytes)
				.map_err(|e| Error::Config(format!("evidence file {}: {e}", file.display())))?;
			prune_evidence(dir);
			bytes
		},
	};
	let evidence = blake2_256(&bytes);
	let statement = WorkerStatement::GpuEvidence { challenge: id, evidence };
	let signature = ctx.key.sign(&statement, &chain.genesis);
	let call = AttestationCall::attest_gpu_evidence { challenge: id, evidence, signature };
	match chain.submit(&chain::bare(call)).await? {
		Submitted::Accepted => {
			ctx.metrics.gpu_evidence_attested.inc();
			tracing::info!(target: "challenge", id, file = %file.display(), evidence = %hex::encode(evidence), "GPU evidence attested");
			Ok(Evidence::Done)
		},
		other => {
			tracing::warn!(target: "challenge", id, "GPU evidence refused: {other:?}");
			Ok(Evidence::Retry)
		},
	}
}

/// Removes all but the newest `EVIDENCE_FILES_KEPT` evidence files.
fn prune_evidence(dir: &Path) {
	let Ok(entries) = std::fs::read_dir(dir) else { return };
	let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
		.filter_map(|entry| {
			let entry = entry.ok()?;
			let name = entry.file_name();
			let name = name.to_str()?;
			if !(name.starts_with("challenge-") && name.ends_with(".json")) {
				return None;
			}
			Some((entry.metadata().ok()?.modified().ok()?, entry.path()))
		})
		.collect();
	if files.len() <= EVIDENCE_FILES_KEPT {
		return;
	}
	files.sort();
	for (_, path) in &files[..files.len() - EVIDENCE_FILES_KEPT] {
		let _ = std::fs::remove_file(path);
	}
}

/// The chain's verdict on `id`, from the `ChallengeDecided` event in blocks `from..=to`.
async fn verdict(
	chain: &Chain,
	id: ChallengeId,
	from: u32,
	to: u32,
) -> Result<Option<ChallengeOutcome>, Error> {
	// The challenge left the open list in one of these blocks: the first ones are likeliest.
	for number in from..=to.min(from.saturating_add(VERDICT_LOOKBACK)) {
		let Some(hash) = chain.block_hash(number).await? else { continue };
		let events: EventRecords =
			chain.storage_at(&keys::events(), Some(hash)).await?.unwrap_or_default();
		for record in events {
			if let gpux_runtime::RuntimeEvent::Attestation(
				pallet_attestation::Event::ChallengeDecided { challenge, outcome, .. },
			) = record.event
			{
				if challenge == id {
					return Ok(Some(outcome));
				}
			}
		}
	}
	Ok(None)
}

/// Counts the verdicts on this machine's challenges that closed since the last block.
async fn count_verdicts(
	ctx: &Context,
	chain: &Chain,
	head: Head,
	work: &mut Work,
	open: &[ChallengeId],
) {
	let closed: Vec<(ChallengeId, u32)> = work
		.seen_open
		.iter()
		.filter(|(id, _)| !open.contains(id))
		.map(|(id, at)| (*id, *at))
		.collect();
	for (id, last_open) in closed {
		work.seen_open.remove(&id);
		let outcome = match verdict(chain, id, last_open.saturating_add(1), head.number).await {
			Ok(Some(ChallengeOutcome::Passed)) => "passed",
			Ok(Some(ChallengeOutcome::Failed)) => "failed",
			Ok(Some(ChallengeOutcome::MissedCommit | ChallengeOutcome::MissedReveal)) => "missed",
			Ok(Some(ChallengeOutcome::Undecided)) => "undecided",
			// Too far back, or events this build cannot decode.
			Ok(None) | Err(_) => "unknown",
		};
		ctx.metrics.challenges_decided.with_label_values(&[outcome]).inc();
		let level_error = matches!(outcome, "failed" | "missed");
		if level_error {
			tracing::error!(target: "challenge", id, outcome, "challenge decided");
		} else {
			tracing::info!(target: "challenge", id, outcome, "challenge decided");
		}
	}
}

async fn step(ctx: &Context, chain: &Chain, head: Head, work: &mut Work) -> Result<(), Error> {
	let open: Vec<ChallengeId> = chain.storage(&keys::open_challenges()).await?.unwrap_or_default();
	count_verdicts(ctx, chain, head, work, &open).await;
	work.solutions.retain(|id, _| open.contains(id));
	work.sent.retain(|id, _| open.contains(id));
	work.evidence_done.retain(|id| open.contains(id));
	for id in open {
		let Some(record) = chain.storage::<Record>(&keys::challenge(id)).await? else { continue };
		if record.machine != ctx.machine {
			continue;
		}
		work.seen_open.insert(id, head.number);
		// Before the solve, within a third of the time left: the reports take milliseconds a
		// GPU, and the solve's deadline is cut by what they took. Until the block before the
		// deadline (the chain takes it until `commit_by`, whatever the challenge's state).
		let started = Instant::now();
		let limit = EVIDENCE_LIMIT.min(time_until(head.number, record.commit_by) / 3);
		if head.number < record.commit_by
			&& limit >= Duration::from_secs(1)
			&& ctx.allows(Duty::GpuEvidence)
			&& !work.evidence_done.contains(&id)
		{
			match attest_evidence(ctx, chain, id, &record, &work.evidence_dir, limit).await {
				Ok(Evidence::Retry) => {},
				Ok(Evidence::Done) => {
					work.evidence_done.insert(id);
				},
				Err(e) => {
					// Only a node error is retried: the driver is not asked twice for one
					// challenge.
					if !matches!(e, Error::Node(..)) {
						work.evidence_done.insert(id);
					}
					tracing::warn!(target: "challenge", id, "GPU evidence: {e}");
				},
			}
		}
		let spent = started.elapsed();
		// One submission per state and a few blocks: the pool holds it meanwhile.
		if work.sent.get(&id).is_some_and(|at| head.number < at.saturating_add(3)) {
			continue;
		}
		let call = match record.state {
			ChallengeState::AwaitingCommit => {
				let solution = match work.solutions.get(&id) {
					Some(s) => s.clone(),
					None => {
						let deadline = time_until(head.number, record.commit_by);
						solve(ctx, &record, deadline.saturating_sub(spent)).await?
					},
				};
				work.solutions.insert(id, solution.clone());
				let root = solution.commitment();
				let statement = WorkerStatement::ChallengeCommitted { challenge: id, root };
				let signature = ctx.key.sign(&statement, &chain.genesis);
				ctx.metrics.challenges_committed.inc();
				AttestationCall::commit_challenge { challenge: id, root, signature }
			},
			// The rows are drawn (the verifiers' beacon) after the epoch's last commit deadline.
			ChallengeState::Committed { root, .. } if head.number >= record.draw_at => {
				let solution = match work.solutions.get(&id) {
					Some(s) => s.clone(),
					None => solve(ctx, &record, time_until(head.number, record.reveal_by)).await?,
				};
				if solution.commitment() != root {
					tracing::error!(target: "challenge", id, "the committed root is not this machine's product");
					continue;
				}
				let draw = chain.storage::<(u32, [u8; 32])>(&keys::row_draw()).await?;
				let Some((_, draw)) = draw.filter(|(epoch, _)| *epoch == record.issued_at) else {
					continue;
				};
				let rows = drawn_rows(&record.seed, &draw, record.size.rows, record.rows);
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
