"""One definition per domain fact: the rule registry against the catalogue, the Dapodik match,
"is a principal", and names compared without academic degrees."""

from __future__ import annotations

import inspect

import polars as pl
import pytest

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.nama import nama_sama, tanpa_gelar
from selaras.domain.pegawai import is_principal, match_keys, match_ptk
from selaras.domain.rules import RULES
from selaras.views import values_differ


def test_registry_and_catalogue_hold_the_same_codes() -> None:
    raised_by_sources = {c for c, e in CATALOGUE.items() if e.flow == "sistem"}
    assert set(RULES) == set(CATALOGUE) - raised_by_sources
    for code, r in RULES.items():
        assert r.flow.value == CATALOGUE[code].flow, code


def test_each_rule_is_found_by_its_code_in_its_own_function() -> None:
    for code, r in RULES.items():
        src = inspect.getsource(r.decide)
        assert f'@rule("{code}"' in src
        assert sum(f'"{other}"' in src for other in RULES if other != code) == 0, code


def _ptk(**kw: str | None) -> dict[str, str | None]:
    base = {"ptk_id": "P1", "nik": None, "nip": None, "nama": "X", "jenis_ptk": "Guru Kelas"}
    return {**base, "tugas_tambahan": None, "npsn": "1", **kw}


def test_match_by_nip_then_nik() -> None:
    peg = pl.DataFrame({"nip": ["N1", "N2", "N3"], "nik": ["K1", "K2", None]})
    ptk = pl.DataFrame(
        [
            _ptk(ptk_id="A", nip="N1", nik="K9"),
            _ptk(ptk_id="B", nip="N1-SALAH", nik="K1"),  # N1 is found by NIP: this one is not used
            _ptk(ptk_id="C", nip="N2-SALAH", nik="K2"),
            _ptk(ptk_id="D", nip=None, nik=None),
        ]
    )
    m = match_ptk(peg, ptk)
    assert m.select("nip", "ptk_id", "via").rows() == [("N1", "A", "NIP"), ("N2", "C", "NIK")]
    assert match_keys("N1", "K1") == [("nip", "N1"), ("nik", "K1")]
    assert match_keys("N1", None) == [("nip", "N1")]


@pytest.mark.parametrize(
    ("jenis", "tugas", "expected"),
    [("Kepala Sekolah", None, True), ("Guru Kelas", "Kepala Sekolah", True), ("Guru Kelas", None, False)],
)
def test_is_principal(jenis: str, tugas: str | None, expected: bool) -> None:
    assert is_principal(jenis, tugas) is expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dra. Siti Aminah, M.Pd.", "Siti Aminah"),
        ("Siti Aminah, S.Pd.", "SITI AMINAH"),
        ("Dr. H. Ahmad Dahlan, S.Pd.I., M.Si", "Ahmad Dahlan"),
        ("Budi Santoso S.Pd", "Budi  Santoso"),
        ("Prof. Dr. Ir. Ani Rahma", "Ani Rahma"),
    ],
)
def test_names_equal_without_degrees(a: str, b: str) -> None:
    assert nama_sama(a, b)
    assert not values_differ("nama", [a, b])


@pytest.mark.parametrize(("a", "b"), [("Siti Aminah", "Siti Aminah Putri"), ("A. Rahman", "Rahman"), ("Budi", None)])
def test_different_names_stay_different(a: str, b: str | None) -> None:
    assert not nama_sama(a, b)
    assert values_differ("nama", [a, b])


def test_degrees_matter_only_for_names() -> None:
    assert tanpa_gelar(None) == ""
    assert values_differ("nip", ["198001012005011001", "198001012005011099"])
