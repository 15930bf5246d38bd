//! What must hold after every block, whatever the calls were.

use frame_support::traits::{TryDecodeEntireStorage, TryState, TryStateSelect};
use gpux_runtime::{AllPalletsWithSystem, Runtime, System};

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
/// write), optionally that every stored value decodes, that no `defensive!` fired, that the total issuance is exactly
/// what the accounts hold (free + reserved, holds within reserved), and that the block's
/// weight, hooks included, is within the block's limit.
pub fn check(decode_state: bool) -> Result<(), String> {
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
	money()?;
	weight()?;
	defensive()
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
/// included; every account's holds fit in its reserved balance.
fn money() -> Result<(), String> {
	let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	let mut held_by_accounts: u128 = 0;
	for (who, account) in frame_system::Account::<Runtime>::iter() {
		let data = account.data;
		held_by_accounts = held_by_accounts
			.checked_add(data.free)
			.and_then(|sum| sum.checked_add(data.reserved))
			.ok_or("the accounts hold more than u128")?;
		let holds = pallet_balances::Holds::<Runtime>::get(&who)
			.iter()
			.try_fold(0u128, |sum, hold| sum.checked_add(hold.amount))
			.ok_or("holds overflow")?;
		if holds > data.reserved {
			return Err(format!("{who}: holds {holds} exceed reserved {}", data.reserved));
		}
	}
	if held_by_accounts != issuance {
		return Err(format!("total issuance {issuance} != Σ free + reserved {held_by_accounts}"));
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
