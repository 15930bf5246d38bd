//! What must hold after every block, whatever the calls were.

use std::collections::{BTreeMap, BTreeSet};

use frame_support::traits::{TryDecodeEntireStorage, TryState, TryStateSelect};
use gpux_runtime::{AccountId, AllPalletsWithSystem, Runtime, RuntimeEvent, System};

/// Every account's balance (free + reserved) as a block left it.
pub type Totals = BTreeMap<AccountId, u128>;

/// FRAME's `defensive!` only panics with debug assertions, which release builds (the long runs)
/// lack; otherwise it logs an error under `runtime::defensive`. This logger turns each such
/// error into a finding, in every build.
struct DefensiveLogger;

static DEFENSIVE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl log::Log for DefensiveLogger {
	fn enabled(&self, metadata: &log::Metadata) -> bool {
		metadata.level() <= log::Level::Error
	}

	fn log(&self, record: &log::Record) {
		if record.level() <= log::Level::Error && record.target().contains("defensive") {
			if let Ok(mut seen) = DEFENSIVE.lock() {
				seen.push(format!("{}: {}", record.target(), record.args()));
			}
		}
	}

	fn flush(&self) {}
}

/// Installs the defensive logger (once per process; a logger already set stays).
pub fn watch_defensive() {
	static LOGGER: DefensiveLogger = DefensiveLogger;
	if log::set_logger(&LOGGER).is_ok() {
		log::set_max_level(log::LevelFilter::Error);
	}
}

fn defensive() -> Result<(), String> {
	let seen = DEFENSIVE.lock().map(|mut seen| std::mem::take(&mut *seen)).unwrap_or_default();
	if seen.is_empty() {
		Ok(())
	} else {
		Err(format!("defensive failure: {}", seen.join("; ")))
	}
}

/// Checks the chain as a finished block left it: every pallet's `try_state` (which must not
/// write), optionally that every stored value decodes, that no `defensive!` fired, that the
/// total issuance is exactly what the accounts hold (free + reserved, holds within reserved),
/// that the block's weight, hooks included, is within the block's limit, and — given the
/// balances the block started from — that the block's events account for every balance change.
/// Returns the balances the block left, for the next block's check.
pub fn check(decode_state: bool, before: Option<&Totals>) -> Result<Totals, String> {
	let now = System::block_number();
	{
		let _no_writes = frame_support::StorageNoopGuard::default();
		<AllPalletsWithSystem as TryState<_>>::try_state(now, TryStateSelect::All)
			.map_err(|_| which_try_state_failed(now))?;
		if decode_state {
			AllPalletsWithSystem::try_decode_entire_state()
				.map_err(|e| format!("undecodable storage: {e:?}"))?;
		}
	}
	let totals = money()?;
	if let Some(before) = before {
		evented(before, &totals)?;
	}
	weight()?;
	defensive()?;
	Ok(totals)
}

/// FRAME only logs which pallet's `try_state` failed: ask each in turn.
fn which_try_state_failed(now: u32) -> String {
	use frame_support::traits::PalletsInfoAccess;
	for name in AllPalletsWithSystem::infos().into_iter().map(|info| info.name) {
		let only = TryStateSelect::Only(vec![name.as_bytes().to_vec()]);
		if let Err(e) = <AllPalletsWithSystem as TryState<_>>::try_state(now, only) {
			return format!("try_state of {name}: {e:?}");
		}
	}
	"try_state failed, in no single pallet".into()
}

/// Total issuance = Σ (free + reserved) over all accounts, the treasury's and the pallets'
/// included; every account's holds fit in its reserved balance. Returns every account's total.
fn money() -> Result<Totals, String> {
	let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	let mut held_by_accounts: u128 = 0;
	let mut totals = Totals::new();
	for (who, account) in frame_system::Account::<Runtime>::iter() {
		let data = account.data;
		let total =
			data.free.checked_add(data.reserved).ok_or("an account holds more than u128")?;
		held_by_accounts =
			held_by_accounts.checked_add(total).ok_or("the accounts hold more than u128")?;
		let holds = pallet_balances::Holds::<Runtime>::get(&who)
			.iter()
			.try_fold(0u128, |sum, hold| sum.checked_add(hold.amount))
			.ok_or("holds overflow")?;
		if holds > data.reserved {
			return Err(format!("{who}: holds {holds} exceed reserved {}", data.reserved));
		}
		totals.insert(who, total);
	}
	if held_by_accounts != issuance {
		return Err(format!("total issuance {issuance} != Σ free + reserved {held_by_accounts}"));
	}
	Ok(totals)
}

/// Every account's balance (free + reserved) now: where a run's money audit starts.
pub fn totals() -> Totals {
	frame_system::Account::<Runtime>::iter()
		.map(|(who, account)| (who, account.data.free.saturating_add(account.data.reserved)))
		.collect()
}

/// What a block's balances events say moved: per account, what came in and what went out.
#[derive(Default)]
struct Moves {
	moved: BTreeMap<AccountId, (u128, u128)>,
	/// Accounts whose balance was set outright (`BalanceSet`): no sum explains them.
	set: BTreeSet<AccountId>,
}

impl Moves {
	fn add(&mut self, who: &AccountId, amount: u128, incoming: bool) -> Result<(), String> {
		let (into, out) = self.moved.entry(who.clone()).or_default();
		let side = if incoming { into } else { out };
		*side = side.checked_add(amount).ok_or("the events move more than u128")?;
		Ok(())
	}

	fn transfer(&mut self, from: &AccountId, to: &AccountId, amount: u128) -> Result<(), String> {
		self.add(from, amount, false)?;
		self.add(to, amount, true)
	}
}

/// Every account's balance moved by exactly what the block's `Balances` events say: money
/// never moves unseen by wallets and indexers (the chain's money audit, docs/RELIABILITY.md).
fn evented(before: &Totals, after: &Totals) -> Result<(), String> {
	use pallet_balances::Event as B;
	let mut moves = Moves::default();
	for record in System::events() {
		let RuntimeEvent::Balances(event) = record.event else { continue };
		match event {
			B::Transfer { from, to, amount }
			| B::ReserveRepatriated { from, to, amount, .. }
			| B::TransferOnHold { source: from, dest: to, amount, .. }
			| B::TransferAndHold { source: from, dest: to, transferred: amount, .. } => {
				moves.transfer(&from, &to, amount)?
			},
			B::Deposit { who, amount }
			| B::Minted { who, amount }
			| B::Restored { who, amount } => moves.add(&who, amount, true)?,
			B::Withdraw { who, amount }
			| B::Slashed { who, amount }
			| B::Burned { who, amount }
			| B::BurnedHeld { who, amount, .. }
			| B::Suspended { who, amount }
			| B::DustLost { account: who, amount } => moves.add(&who, amount, false)?,
			B::BalanceSet { who, .. } => {
				moves.set.insert(who);
			},
			B::Unexpected(kind) => return Err(format!("pallet-balances reported {kind:?}")),
			// Within an account (holds, reserves, locks, freezes) or issuance only.
			B::Endowed { .. }
			| B::Reserved { .. }
			| B::Unreserved { .. }
			| B::Held { .. }
			| B::Released { .. }
			| B::Locked { .. }
			| B::Unlocked { .. }
			| B::Frozen { .. }
			| B::Thawed { .. }
			| B::Upgraded { .. }
			| B::Issued { .. }
			| B::Rescinded { .. }
			| B::MintedCredit { .. }
			| B::BurnedDebt { .. }
			| B::TotalIssuanceForced { .. } => {},
			// A variant this fold does not know may move money: a finding until it is taught.
			other => return Err(format!("the money audit does not know {other:?}")),
		}
	}
	for who in before.keys().chain(after.keys()).collect::<BTreeSet<_>>() {
		if moves.set.contains(who) {
			continue;
		}
		let (into, out) = moves.moved.get(who).copied().unwrap_or_default();
		let (was, is) =
			(before.get(who).copied().unwrap_or(0), after.get(who).copied().unwrap_or(0));
		if was.checked_add(into) != is.checked_add(out) {
			return Err(format!(
				"{who}: balance {was} -> {is}, but the Balances events say +{into} -{out}"
			));
		}
	}
	Ok(())
}

fn weight() -> Result<(), String> {
	let used = System::block_weight().total();
	let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	if !used.all_lte(max) {
		return Err(format!("block weight {used} over the limit {max}"));
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use gpux_runtime::{Balances, RuntimeOrigin};
	use sp_keyring::Sr25519Keyring::{Bob, Dave};

	#[test]
	fn a_balance_moved_without_its_event_is_a_finding() {
		crate::dev_chain().read(|| {
			System::reset_events();
			let before = totals();
			// A transfer's events say what it moved (the fee is not charged here: no extension).
			Balances::transfer_allow_death(
				RuntimeOrigin::signed(Bob.to_account_id()),
				Dave.to_account_id().into(),
				5,
			)
			.expect("Bob can pay 5 planck");
			assert_eq!(evented(&before, &totals()), Ok(()));
			// A balance written behind the pallets' back has no event.
			frame_system::Account::<Runtime>::mutate(Dave.to_account_id(), |account| {
				account.data.free += 7
			});
			let broken = evented(&before, &totals()).expect_err("7 planck moved unseen");
			assert!(broken.starts_with(&format!("{}:", Dave.to_account_id())), "{broken}");
			assert!(broken.ends_with("+5 -0"), "{broken}");
		});
	}
}
