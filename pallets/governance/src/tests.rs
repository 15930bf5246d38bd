use frame_support::{assert_noop, assert_ok, traits::Get};
use sp_runtime::{DispatchError, Perbill};

use crate::{
	mock::{dynamic_params::market, *},
	Error, Origin, TrackTiming,
};

fn fee(value: Option<Perbill>) -> RuntimeParameters {
	RuntimeParameters::Market(market::Parameters::Fee(market::Fee, value))
}

fn window(value: u64) -> RuntimeParameters {
	RuntimeParameters::Market(market::Parameters::Window(market::Window, Some(value)))
}

fn period(value: u64) -> RuntimeParameters {
	RuntimeParameters::Market(market::Parameters::Period(market::Period, Some(value)))
}

fn market_admin() -> RuntimeOrigin {
	RuntimeOrigin::from(Origin::MarketAdmin)
}

#[test]
fn market_admin_sets_a_parameter_in_range() {
	new_test_ext().execute_with(|| {
		assert_ok!(Governance::set_parameter(market_admin(), fee(Some(Perbill::from_percent(7)))));
		assert_eq!(market::Fee::get(), Perbill::from_percent(7));
		System::assert_last_event(RuntimeEvent::Parameters(pallet_parameters::Event::Updated {
			key: RuntimeParametersKey::Market(market::ParametersKey::Fee(market::Fee)),
			old_value: None,
			new_value: Some(RuntimeParametersValue::Market(market::ParametersValue::Fee(
				Perbill::from_percent(7),
			))),
		}));
		// No value: back to the default.
		assert_ok!(Governance::set_parameter(market_admin(), fee(None)));
		assert_eq!(market::Fee::get(), Perbill::from_percent(5));
	});
}

#[test]
fn root_sets_a_parameter_too() {
	new_test_ext().execute_with(|| {
		assert_ok!(Governance::set_parameter(RuntimeOrigin::root(), window(50)));
		assert_eq!(market::Window::get(), 50);
	});
}

#[test]
fn a_value_out_of_range_is_refused_not_clamped() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Governance::set_parameter(market_admin(), fee(Some(Perbill::from_percent(21)))),
			Error::<Test>::ParameterOutOfRange
		);
		assert_noop!(
			Governance::set_parameter(market_admin(), fee(Some(Perbill::zero()))),
			Error::<Test>::ParameterOutOfRange
		);
		assert_noop!(
			Governance::set_parameter(market_admin(), window(1)),
			Error::<Test>::ParameterOutOfRange
		);
		assert_eq!(market::Fee::get(), Perbill::from_percent(5));
		assert_eq!(market::Window::get(), 10);
	});
}

#[test]
fn two_parameters_that_must_fit_together_are_checked_against_each_other() {
	new_test_ext().execute_with(|| {
		// The window must stay below the period, whichever of the two changes.
		assert_noop!(
			Governance::set_parameter(market_admin(), window(100)),
			Error::<Test>::ParameterOutOfRange
		);
		assert_noop!(
			Governance::set_parameter(market_admin(), period(10)),
			Error::<Test>::ParameterOutOfRange
		);
		assert_ok!(Governance::set_parameter(market_admin(), period(200)));
		assert_ok!(Governance::set_parameter(market_admin(), window(150)));
		assert_eq!((market::Window::get(), market::Period::get()), (150, 200));
	});
}

#[test]
fn signed_accounts_and_the_treasurer_cannot_set_parameters() {
	new_test_ext().execute_with(|| {
		let value = fee(Some(Perbill::from_percent(7)));
		assert_noop!(
			Governance::set_parameter(RuntimeOrigin::signed(1), value.clone()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Governance::set_parameter(RuntimeOrigin::from(Origin::Treasurer), value.clone()),
			DispatchError::BadOrigin
		);
		// Nor through pallet-parameters, which only Root may call.
		assert_noop!(Parameters::set_parameter(market_admin(), value), DispatchError::BadOrigin);
		assert_eq!(market::Fee::get(), Perbill::from_percent(5));
	});
}

#[test]
fn the_timing_comes_from_genesis() {
	new_test_ext().execute_with(|| {
		assert_eq!(Governance::timing(), TrackTiming::Fast);
	});
	sp_io::TestExternalities::default().execute_with(|| {
		assert_eq!(Governance::timing(), TrackTiming::Live);
	});
}
