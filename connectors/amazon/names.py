"""Amazon gives one ``name`` per address; the supplier wants a first name and a surname.

A one-word name leaves the surname empty, so the order is held as ``missing_surname``. A name of
several words is split at its last word, and the order says so: the split is a guess an operator
must be able to see (and, with the channel setting ``review_derived_names``, must confirm).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.records import OrderNote

SURNAME_FIELD = "shipping_address.last_name"
DERIVED_NOTE = ("Amazon gives one name: its last word was taken as the surname and the words "
                "before it as the first name.")


@dataclass(frozen=True)
class SplitName:
    first_name: str | None
    last_name: str | None
    derived: bool


def split_name(name: str | None) -> SplitName:
    words = (name or "").split()
    if not words:
        return SplitName(None, None, derived=False)
    if len(words) == 1:
        return SplitName(words[0], None, derived=False)
    return SplitName(" ".join(words[:-1]), words[-1], derived=True)


def derived_note(review: bool = False) -> OrderNote:
    return OrderNote(field=SURNAME_FIELD, message=DERIVED_NOTE, review=review)
