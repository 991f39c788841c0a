"""The forecast's P10–P90 band calibrated on backtest residuals (issue 16, point 3)."""

from __future__ import annotations

import numpy as np

from nexa.intelligence.forecast import loo_coverage, residual_band, residual_ratios


def test_the_band_follows_past_errors_and_widens_when_periods_are_few() -> None:
    # a method that over-forecast by about 2x: the band sits around half the forecast
    ratios = residual_ratios([100.0, 100.0, 100.0, 100.0], [45.0, 55.0, 50.0, 48.0])
    band = residual_band(1000.0, ratios)
    assert band is not None and band.periods == 4
    assert 400 < band.p10 < band.p50 < band.p90 < 640
    assert 480 < band.p50 < 510
    # the same spread seen over 3 periods only: a wider band (Student-t), not a narrower one
    few = residual_band(1000.0, ratios[:3])
    assert few is not None and (few.p90 - few.p10) > (band.p90 - band.p10) * 0.9
    assert residual_band(1000.0, ratios[:2]) is None  # too few periods: no calibrated band


def test_periods_without_a_forecast_are_left_out_and_a_zero_actual_counts() -> None:
    assert residual_ratios([0.0, 100.0, 50.0], [10.0, 0.0, 100.0]) == [0.02, 2.0]


def test_leave_one_out_coverage_is_near_80_percent_on_lognormal_errors() -> None:
    rng = np.random.default_rng(16)
    forecasts = rng.uniform(50_000, 150_000, 60)
    actuals = forecasts * np.exp(rng.normal(-0.3, 0.4, 60))  # biased and noisy
    coverage = loo_coverage(list(forecasts), list(actuals))
    assert coverage is not None and 0.7 <= coverage <= 0.92
    # the uncalibrated alternative, a band of +-10 % around the forecast, covers far less
    inside = np.mean((actuals >= 0.9 * forecasts) & (actuals <= 1.1 * forecasts))
    assert inside < 0.3
    assert loo_coverage([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) is None  # needs 4 periods
