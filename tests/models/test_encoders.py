"""Feature encoders: fitting, applying, the JSON of model folders, where they import from."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from graphrisk.models.encoders import ENCODERS_FORMAT_VERSION, FeatureEncoders, fit_encoders


def _fitted() -> FeatureEncoders:
    frame = pd.DataFrame({
        "amount": [1.0, 3.0, np.nan, 5.0, 3.0, 1.0],
        "flat": [2.0] * 6,
        "colour": ["red"] * 5 + ["blue"],
        "kind": ["a", "b", None, "a", "a", "a"],
    })
    return fit_encoders({"thing": frame}, {"thing": ("colour", "kind")}, {"setting": 1},
                        fixed_vocabularies={("thing", "kind"): ("a", "b", "c")})


def test_fit_learns_means_deviations_and_vocabularies() -> None:
    spec = _fitted().groups["thing"]
    assert spec["numeric"] == ["amount", "flat"]
    # Over the five finite amounts: mean 2.6, population deviation sqrt(2.24).
    assert spec["mean"] == pytest.approx([2.6, 2.0])
    assert spec["std"] == pytest.approx([np.sqrt(2.24), 1.0])  # a flat column keeps 1
    # "blue" is seen once (< 5): not in the fitted vocabulary; the fixed one is used as given.
    assert spec["categorical"] == [["colour", ["red"]], ["kind", ["a", "b", "c"]]]


def test_transform_scales_clips_and_one_hots_in_name_order() -> None:
    encoders = _fitted()
    assert encoders.feature_names("thing") == [
        "amount", "flat", "colour=red", "colour=__other__", "colour=__missing__",
        "kind=a", "kind=b", "kind=c", "kind=__other__", "kind=__missing__"]
    later = pd.DataFrame({"amount": [2.6, np.nan, 1e9], "flat": [2.0, 2.0, 2.0],
                          "colour": ["red", "green", None], "kind": ["c", "z", "a"]})
    x = encoders.transform("thing", later)
    assert x.dtype == np.float32 and x.shape == (3, 10)
    assert x[:, 0].tolist() == [0.0, 0.0, 10.0]  # the mean, a missing value (the mean), clipped
    assert x[:, 2:5].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]  # red, unseen, missing
    assert x[:, 5:].tolist() == [[0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [1, 0, 0, 0, 0]]
    with pytest.raises(ValueError, match="lacks the feature columns"):
        encoders.transform("thing", later.drop(columns="kind"))


def test_json_written_by_an_earlier_model_still_loads(tmp_path) -> None:
    # The layout of encoders.json in model folders saved before encoders had a module of
    # their own (format version 1): it must keep loading and mean the same.
    path = tmp_path / "encoders.json"
    path.write_text(json.dumps({
        "format_version": 1,
        "settings": {"max_identifier_degree": 10, "reporting_threshold": 10000.0},
        "groups": {"thing": {"numeric": ["amount"], "mean": [2.0], "std": [2.0],
                             "categorical": [["kind", ["a"]]]}},
    }))
    encoders = FeatureEncoders.load(path)
    assert encoders.format_version == ENCODERS_FORMAT_VERSION == 1
    x = encoders.transform("thing", pd.DataFrame({"amount": [4.0], "kind": ["a"]}))
    assert x.tolist() == [[1.0, 1.0, 0.0, 0.0]]
    encoders.save(path)
    assert FeatureEncoders.load(path).digest() == encoders.digest()


def test_names_stay_importable_where_callers_import_them() -> None:
    import graphrisk.models as models
    from graphrisk.models import dataset, encoders, features

    assert dataset.FeatureEncoders is encoders.FeatureEncoders is models.FeatureEncoders
    assert dataset.ENCODERS_FORMAT_VERSION == encoders.ENCODERS_FORMAT_VERSION
    assert dataset.edge_key is features.edge_key
    assert dataset.EDGE_TYPES == features.EDGE_TYPES
    assert dataset.NODE_TYPES == features.NODE_TYPES
    for name in dataset.__all__:
        assert hasattr(dataset, name), name
