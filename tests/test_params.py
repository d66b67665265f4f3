"""Notebook parameter checks: papermill strings, bad types and ranges, missing folders."""

from __future__ import annotations

import math

import pytest

from nncf_helpers.params import (
    ParameterError,
    check_balanced_samples,
    check_bool,
    check_choice,
    check_float,
    check_folder,
    check_int,
    check_int_list,
    check_text,
)
from nncf_helpers.paths import PROJECT_ROOT, resolve


@pytest.mark.parametrize(("value", "expected"), [
    ("500", 500), (" 500 ", 500), ("20_000", 20_000), ("1e3", 1000), (500, 500), (500.0, 500),
])
def test_check_int_accepts_papermill_forms(value, expected):
    result = check_int("EPOCHS", value, minimum=1)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize("value", ["abc", "2.5", 2.5, True, None, [1], ""])
def test_check_int_rejects_non_integers(value):
    with pytest.raises(ParameterError) as caught:
        check_int("EPOCHS", value, minimum=1)
    assert f"EPOCHS={value!r}" in str(caught.value)
    assert "an integer >= 1" in str(caught.value)


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("EPOCHS", 0, "EPOCHS=0"),
    ("BATCH_SIZE", "0", "BATCH_SIZE=0"),
    ("CHECKPOINT_PERIOD", -1, "CHECKPOINT_PERIOD=-1"),
])
def test_check_int_below_minimum_raises(name, value, shown):
    with pytest.raises(ParameterError) as caught:
        check_int(name, value, minimum=1)
    message = str(caught.value)
    assert f"Parameter {shown} is invalid" in message
    assert "an integer >= 1" in message


def test_check_int_above_maximum_names_range():
    with pytest.raises(ParameterError) as caught:
        check_int("TOP_K", 11, minimum=1, maximum=10)
    assert "TOP_K=11 is invalid: expected an integer in [1, 10]" in str(caught.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("0.05", 0.05), (" 0.5", 0.5), (0.25, 0.25), ("5e-2", 0.05),
])
def test_check_float_accepts_papermill_forms(value, expected):
    result = check_float("HOLDOUT_FRACTION", value, 0.0, 0.5, low_open=True)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize("value", [0.0, "0", -0.1, 0.51, "0.6", "nan", math.inf, "x", None,
                                   True])
def test_split_fraction_outside_range_raises(value):
    with pytest.raises(ParameterError) as caught:
        check_float("HOLDOUT_FRACTION", value, 0.0, 0.5, low_open=True)
    message = str(caught.value)
    assert f"HOLDOUT_FRACTION={value!r}" in message
    assert "(0.0, 0.5]" in message


@pytest.mark.parametrize("value", [0.0, 1.0, "1", -0.5])
def test_balance_ratio_outside_open_interval_raises(value):
    with pytest.raises(ParameterError) as caught:
        check_float("BALANCE_RATIO", value, 0.0, 1.0, low_open=True, high_open=True)
    assert f"BALANCE_RATIO={value!r}" in str(caught.value)
    assert "(0.0, 1.0)" in str(caught.value)


def test_balance_ratio_inside_interval_passes():
    assert check_float("BALANCE_RATIO", "0.5", 0.0, 1.0, low_open=True, high_open=True) == 0.5


@pytest.mark.parametrize(("value", "expected"), [
    ("True", True), ("false", False), (" YES ", True), ("off", False), ("", False),
    (1, True), (0, False), (True, True), (False, False),
])
def test_check_bool_accepts_papermill_forms(value, expected):
    assert check_bool("RESUME", value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, 0.5, None])
def test_check_bool_rejects_other_values(value):
    with pytest.raises(ParameterError) as caught:
        check_bool("RESUME", value)
    assert f"RESUME={value!r}" in str(caught.value)
    assert "True or False" in str(caught.value)


def test_check_choice_accepts_listed_value():
    assert check_choice("DATASET", "random", ("seed-track", "random")) == "random"


@pytest.mark.parametrize("value", ["Random", "popular", 1, None])
def test_check_choice_names_allowed_values(value):
    with pytest.raises(ParameterError) as caught:
        check_choice("DATASET", value, ("seed-track", "random"))
    assert f"DATASET={value!r}" in str(caught.value)
    assert "one of 'seed-track', 'random'" in str(caught.value)


def test_check_text_turns_none_into_empty():
    assert check_text("MPD_DIR", None) == ""
    assert check_text("MPD_DIR", "data/mpd") == "data/mpd"


def test_check_text_rejects_number():
    with pytest.raises(ParameterError, match="MPD_DIR=5 is invalid: expected a string"):
        check_text("MPD_DIR", 5)


@pytest.mark.parametrize(("value", "expected"), [
    ("200,100,50,20", [200, 100, 50, 20]),
    ("[200, 100]", [200, 100]),
    ([200, "100"], [200, 100]),
    ((8,), [8]),
])
def test_check_int_list_accepts_forms(value, expected):
    assert check_int_list("MLP_LAYERS", value) == expected


@pytest.mark.parametrize("value", ["", "200,0", "200,x", 200, [], None])
def test_check_int_list_rejects_bad_lists(value):
    with pytest.raises(ParameterError) as caught:
        check_int_list("MLP_LAYERS", value)
    assert f"MLP_LAYERS={value!r}" in str(caught.value)
    assert "a list of integers >= 1" in str(caught.value)


def test_check_folder_accepts_existing(tmp_path):
    assert check_folder("RUN_DIR", str(tmp_path)) == tmp_path


def test_check_folder_missing_names_path(tmp_path):
    missing = tmp_path / "absent"
    with pytest.raises(ParameterError) as caught:
        check_folder("MPD_DIR", str(missing))
    assert f"MPD_DIR={str(missing)!r}" in str(caught.value)
    assert "does not exist" in str(caught.value)


def test_check_folder_file_says_so(tmp_path):
    path = tmp_path / "slice.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ParameterError, match="is a file"):
        check_folder("MPD_DIR", path)


def test_check_folder_may_be_missing_for_outputs(tmp_path):
    assert check_folder("RUN_DIR", tmp_path / "new", must_exist=False) == tmp_path / "new"


@pytest.mark.parametrize("value", ["", "   ", None, 3])
def test_check_folder_rejects_empty_or_non_path(value):
    with pytest.raises(ParameterError, match="expected a folder path"):
        check_folder("RUN_DIR", value)


def test_relative_folder_resolves_from_project_root():
    assert check_folder("RUN_DIR", "data/runs/x", must_exist=False) == (
        PROJECT_ROOT / "data" / "runs" / "x")
    assert resolve("/tmp/absolute") == resolve("/tmp/absolute").absolute()


def test_balanced_samples_settings_converted():
    settings = check_balanced_samples("100", 10_000, "0")
    assert settings == {"BALANCED_SAMPLES": 100, "BALANCED_SAMPLE_SIZE": 10_000, "SEED": 0}


@pytest.mark.parametrize("samples, sample_size, seed, name", [
    (0, 10, 0, "BALANCED_SAMPLES"),
    (1, 1, 0, "BALANCED_SAMPLE_SIZE"),
    (1, 10, -1, "SEED"),
])
def test_balanced_samples_out_of_range_names_parameter(samples, sample_size, seed, name):
    with pytest.raises(ParameterError) as caught:
        check_balanced_samples(samples, sample_size, seed)
    assert name in str(caught.value)
