use super::*;

#[test]
fn counts_are_rounded_to_five_and_small_ones_suppressed() {
    assert_eq!(Count::of(0).value(), None);
    assert_eq!(Count::of(9).value(), None);
    assert_eq!(Count::of(10).value(), Some(10));
    assert_eq!(Count::of(12).value(), Some(10));
    assert_eq!(Count::of(13).value(), Some(15));
    assert_eq!(Count::of(1_234_568).value(), Some(1_234_570));
}

#[test]
fn a_rate_goes_with_any_small_count_it_is_built_on() {
    assert!(Share::of_counts(false, 9, 100).is_suppressed());
    assert!(Share::of_counts(false, 50, 9).is_suppressed());
    // 95 of 100: the 5 not in work would be revealed.
    assert!(Share::of_counts(false, 95, 100).is_suppressed());
    assert!(Share::of_counts(true, 50, 100).is_suppressed());
}

/// 195 of 266 publishes as 195 of 265: 73.6%, Wilson (68.0%, 78.5%)
/// (by hand: z²/n = 0.014496; centre (0.735849 + 0.007248)/1.014496 =
/// 0.732479; half 1.959964·√(0.000733487 + 0.0000136757)/1.014496 =
/// 0.052808). Every exact pair rounding to (195, 265) publishes the same.
#[test]
fn a_rate_is_computed_from_the_rounded_counts() {
    let shown = Share::of_counts(false, 195, 266);
    assert_eq!(shown.value(), Some(0.736));
    assert_eq!(shown.interval(), Some((0.680, 0.785)));
    for k in 193..=197 {
        for n in 263..=267 {
            assert_eq!(Share::of_counts(false, k, n), shown, "{k}/{n}");
        }
    }
}

#[test]
fn significance_is_decided_before_display_rounding() {
    // The lower limit rounds to 0.000 but lies above zero.
    let e = Effect::shown([0.05, 0.0004, 0.1], None);
    assert_eq!(e.interval(), Some((0.0, 0.1)));
    assert_eq!(e.significance(), Some(Significance::Above));
}

#[test]
fn an_effect_without_the_areas_variance_is_not_estimable() {
    let side = AttSide {
        comparison_rate: Some(0.4),
        comparison_variance: Some(0.0001),
        area_variance: None,
        tau2_df: None,
        design_effect: None,
    };
    let e = Effect::att(false, 60, 100, side);
    assert!(e.is_not_estimable() && !e.is_suppressed() && e.value().is_none());
    assert!(Effect::att(false, 5, 100, side).is_suppressed());
}
