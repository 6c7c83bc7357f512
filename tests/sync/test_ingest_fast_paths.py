"""The shortcuts ingest takes for speed give what the slow ways give."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from typing import Any, get_args

import orjson
from hypothesis import given
from hypothesis import strategies as st

from connectors.records import Address
from connectors.storable import storable_text, unstorable
from sync.ingest_known import body_digest
from sync.records import address_dict
from sync.search_keys import fold
from validation.delivery import is_masked

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def test_every_address_field_is_text_so_its_values_are_its_json() -> None:
    for name, info in Address.model_fields.items():
        assert set(get_args(info.annotation)) == {str, type(None)}, name


@given(st.fixed_dictionaries({k: st.none() | st.text() for k in Address.model_fields}))
def test_address_dict_is_the_json_dump(values: dict[str, Any]) -> None:
    address = Address(**values)
    assert address_dict(address) == address.model_dump(mode="json")
    assert address_dict(None) is None


@given(_JSON)
def test_storable_text_reads_back_as_the_body(body: Any) -> None:
    text = storable_text(body)
    if text is None:  # only a NUL stops plain JSON data
        assert "\\u0000" in json.dumps(body)
    else:
        assert json.loads(text) == body


def test_storable_text_refuses_nan_and_infinities_anywhere() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        assert storable_text({"a": [1, {"b": bad}]}) is None
        assert storable_text(bad) is None
    assert storable_text({"name": "a\x00b"}) is None


def test_storable_text_of_other_values_is_the_standard_encoders() -> None:
    assert storable_text({"t": (1, 2)}) == json.dumps({"t": [1, 2]})  # a tuple is written as a list
    assert storable_text({"at": datetime(2026, 1, 1, tzinfo=UTC)}) is None  # not JSON: refused as before
    assert storable_text({1: "x"}) == '{"1": "x"}'
    assert storable_text({"s": "\ud800"}) is None  # half a character: PostgreSQL's jsonb refuses it
    # a character past U+FFFF, escaped as a pair by the standard encoder, only sends the body to the
    # exact walk, which finds it storable
    assert storable_text({"s": "😀", "t": (1,)}) is None and unstorable({"s": "😀", "t": (1,)}) is None


@given(_JSON)
def test_body_digest_is_the_blake2b_of_the_whole_text(body: Any) -> None:
    expected = hashlib.blake2b(orjson.dumps(body), digest_size=16).hexdigest()
    assert body_digest(body) == expected


def test_body_digest_of_a_long_body() -> None:
    body = {"note": "x" * 10_000, "lines": list(range(1000))}
    assert body_digest(body) == hashlib.blake2b(orjson.dumps(body), digest_size=16).hexdigest()


_MASK_RUN = re.compile(r"[*\u2022]{3,}")


def _masked_as_defined(value: str | None) -> bool:
    if not value:
        return False
    text = value.strip()
    return bool(_MASK_RUN.search(text)) or text.lower() in {"redacted", "[redacted]"}


@given(st.none() | st.text(alphabet=st.sampled_from("*\u2022 rRedacted[]\u0130\u212ax1"), max_size=14) | st.text())
def test_is_masked_as_defined(value: str | None) -> None:
    assert is_masked(value) == _masked_as_defined(value)


def test_is_masked_examples() -> None:
    for masked in (" REDACTED ", "[Redacted]", "Jo***", "\u2022\u2022\u2022"):
        assert is_masked(masked)
    assert not is_masked("Jo**") and not is_masked("redact") and not is_masked("") and not is_masked(None)


def test_fold_of_a_name_seen_before_is_the_same() -> None:
    assert fold("  García  Márquez ") == "garcia marquez" == fold("  García  Márquez ")
    assert fold(None) == "" and fold("") == ""
