"""Reference profiles: round trips, and scoring later batches without the reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jupyter_mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.monitor import ReferenceProfile, drift, profile
from jupyter_mlops.monitor._summary import CatSummary, NumSummary
from jupyter_mlops.store import current_store


def frame(n, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    x[::50] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "level": rng.integers(0, 5, n),
            "count": rng.integers(0, 100, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "flag": rng.random(n) > 0.3,
        }
    )


def test_types_and_counts():
    prof = profile(frame(500, 1))

    kinds = {name: s.kind for name, s in prof.columns.items()}
    assert kinds == {"x": "num", "level": "cat", "count": "num", "city": "cat", "flag": "cat"}
    x = prof.columns["x"]
    assert isinstance(x, NumSummary)
    assert (x.n, x.n_missing, x.exact) == (490, 10, True)
    city = prof.columns["city"]
    assert isinstance(city, CatSummary)
    assert city.labels == ["lyon", "nice", "paris"] and city.n == 500


def test_bytes_round_trip_is_lossless():
    prof = profile(frame(3000, 1), sketch_size=1000)

    back = ReferenceProfile.from_bytes(prof.to_bytes())

    assert back.to_dict() == prof.to_dict()
    np.testing.assert_array_equal(back.columns["x"].values, prof.columns["x"].values)


def test_save_and_load(tmp_path):
    prof = profile(frame(200, 1))

    path = prof.save(tmp_path / "profile.json")

    assert ReferenceProfile.load(path).to_dict() == prof.to_dict()


@pytest.mark.parametrize("junk", [b"not json", b'{"format": "other"}', b"[]"])
def test_from_bytes_rejects_other_documents(junk):
    with pytest.raises(MlopsUsageError, match="Not a jupyter_mlops reference profile"):
        ReferenceProfile.from_bytes(junk)


@pytest.mark.parametrize("n", [400, 5000])
@pytest.mark.parametrize("policy", ["standard", "strict"])
def test_drift_from_exact_profile_equals_drift_from_reference(n, policy):
    ref, cur = frame(n, 1), frame(n, 2, shift=0.2)

    direct = drift(ref, cur, policy=policy, log=False).to_dict()
    stored = ReferenceProfile.from_bytes(profile(ref, sketch_size=None).to_bytes())
    via_profile = drift(stored, cur, policy=policy, log=False).to_dict()

    assert via_profile == direct


def test_sketched_profile_approximates_the_reference():
    ref, cur = frame(200_000, 1), frame(50_000, 2, shift=0.05)

    direct = drift(ref, cur, tests={"x": "ks", "count": "wasserstein"}, log=False)
    sketched = drift(
        profile(ref, sketch_size=10_000), cur, tests={"x": "ks", "count": "wasserstein"}, log=False
    )

    assert sketched["x"].statistic == pytest.approx(direct["x"].statistic, abs=1e-4)
    assert sketched["count"].statistic == pytest.approx(direct["count"].statistic, rel=0.02)
    assert [r.drifted for r in sketched.results] == [r.drifted for r in direct.results]
    assert sketched["city"].statistic == direct["city"].statistic  # categories stay exact


def test_columns_and_types_are_fixed_when_profiling():
    prof = profile(frame(300, 1), columns=["count", "city"], column_types={"count": "cat"})

    assert list(prof.columns) == ["count", "city"]
    assert prof.columns["count"].kind == "cat"
    with pytest.raises(MlopsUsageError, match="column_types cannot change a profile"):
        drift(prof, frame(300, 2), column_types={"city": "cat"}, log=False)
    with pytest.raises(MlopsUsageError, match=r"Columns not in the reference profile: x\."):
        drift(prof, frame(300, 2), columns=["x"], log=False)


def test_sketch_size_has_a_floor():
    with pytest.raises(MlopsUsageError, match="sketch_size must be at least 100"):
        profile(frame(10, 1), sketch_size=5)


def test_log_stores_the_profile_as_a_run_artifact(store_dir):
    prof = profile(frame(300, 1))

    with jupyter_mlops.start_run("reference") as run:
        prof.log(run)

    record = jupyter_mlops.get_run(run.id)
    artifact = next(a for a in record.artifacts if a.path == "monitor/profile.json")
    data = current_store().objects.read_bytes(artifact.digest)
    assert ReferenceProfile.from_bytes(data).to_dict() == prof.to_dict()


def test_profile_file_versions_with_the_dataset(store_dir):
    path = profile(frame(300, 1)).save(store_dir / "reference.profile.json")

    version = jupyter_mlops.data.add(path, "reference-profile")

    assert version.name == "reference-profile"
