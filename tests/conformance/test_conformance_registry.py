"""A channel connector is registered only with a conformance profile: the suite runs every case
for it. A kind in the registry without one fails here, before anyone relies on it."""

from __future__ import annotations

from connectors.registry import available, channel_kinds

from support.conformance import Profile
from support.profiles import PROFILES


def test_every_registered_channel_connector_has_a_conformance_profile() -> None:
    covered = {p.kind for p in PROFILES}
    missing = sorted(set(channel_kinds()) - covered)
    assert not missing, f"channel connectors without a conformance profile (tests/support/profiles.py): {missing}"


def test_every_profile_names_a_registered_channel_and_a_name_of_its_own() -> None:
    kinds = available()
    for profile in PROFILES:
        assert profile.kind in channel_kinds(), f"{profile.name}: {profile.kind!r} is not a registered channel"
        assert kinds[profile.kind].role == "channel"
    assert len({p.name for p in PROFILES}) == len(PROFILES)


def test_every_profile_says_how_to_drive_its_platform() -> None:
    """The hooks the cases call are the profile's own, not the base's placeholders."""
    hooks = ("sandbox", "revoke", "reauthorise", "malform", "tracking_count")
    for profile in PROFILES:
        for hook in hooks:
            assert getattr(type(profile), hook) is not getattr(Profile, hook), f"{profile.name} lacks {hook}"
        if profile.expiring_credentials:
            for hook in ("expire", "refreshes"):
                assert getattr(type(profile), hook) is not getattr(Profile, hook), f"{profile.name} lacks {hook}"
        if profile.payloads:
            assert type(profile).serve_payload is not Profile.serve_payload, profile.name


def test_both_shopify_apis_are_covered() -> None:
    assert {"shopify-rest", "shopify-graphql"} <= {p.name for p in PROFILES}
