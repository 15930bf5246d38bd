//! `EnsureOrigin`s for the two track origins, for the runtime to use in its pallets' configs.

use frame_support::traits::EnsureOrigin;

use crate::Origin;

macro_rules! ensure_track_origin {
	($(#[$doc:meta])* $name:ident, $variant:ident) => {
		$(#[$doc])*
		pub struct $name;

		impl<O: Into<Result<Origin, O>> + From<Origin>> EnsureOrigin<O> for $name {
			type Success = ();

			fn try_origin(o: O) -> Result<Self::Success, O> {
				o.into().and_then(|origin| match origin {
					Origin::$variant => Ok(()),
					other => Err(O::from(other)),
				})
			}

			#[cfg(feature = "runtime-benchmarks")]
			fn try_successful_origin() -> Result<O, ()> {
				Ok(O::from(Origin::$variant))
			}
		}
	};
}

ensure_track_origin!(
	/// A referendum passed on the `market_admin` track.
	EnsureMarketAdmin,
	MarketAdmin
);
ensure_track_origin!(
	/// A referendum passed on the `treasurer` track.
	EnsureTreasurer,
	Treasurer
);
