"""The shared bucket spaces calls evenly, across every holder of the same key."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from connectors.ratelimit import TokenBucket

from support import REDIS_URL

STORES = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


def _calls(buckets: list[TokenBucket], per_bucket: int) -> list[float]:
    stamps: list[float] = []
    lock = threading.Lock()

    def work(bucket: TokenBucket) -> None:
        for _ in range(per_bucket):
            bucket.wait()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work, args=(b,)) for b in buckets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(stamps)


def _needs(store: str) -> None:
    if store == "redis" and not REDIS_URL:
        pytest.skip("ORDERHUB_TEST_REDIS_URL is not set")


@pytest.mark.parametrize("store", STORES)
def test_workers_sharing_an_account_never_burst_past_its_rate(store: str) -> None:
    _needs(store)
    key = f"test-{uuid.uuid4()}"
    rate = 20.0
    if store == "redis":  # two workers, as two processes would: separate clients, one key
        buckets = [TokenBucket(key, rate, REDIS_URL), TokenBucket(key, rate, REDIS_URL)]
    else:
        shared = TokenBucket(key, rate)
        buckets = [shared, shared]
    stamps = _calls(buckets, 6)
    # Over the whole run the calls never go faster than the rate. Single gaps are not compared:
    # a thread descheduled between its slot and its time stamp makes one gap look short and the
    # next one long, on a busy machine.
    assert stamps[-1] - stamps[0] >= 0.75 * (len(stamps) - 1) / rate


@pytest.mark.parametrize("store", STORES)
def test_a_hold_after_a_429_pauses_every_holder(store: str) -> None:
    _needs(store)
    key = f"test-{uuid.uuid4()}"
    uri = REDIS_URL if store == "redis" else "memory://"
    first = TokenBucket(key, 50.0, uri)
    other = TokenBucket(key, 50.0, uri) if store == "redis" else first
    first.hold_until(time.time() + 0.6)
    started = time.monotonic()
    other.wait()
    assert time.monotonic() - started >= 0.5


def test_a_cost_the_bucket_can_never_hold_goes_without_waiting_forever() -> None:
    bucket = TokenBucket(f"too-heavy-{uuid.uuid4()}", 1.0)
    bucket.wait()  # the one slot taken: a second call of weight 1 would wait its turn
    assert bucket.wait(cost=2) < 1.0  # weight 2 never fits a bucket of burst 1: it goes at once
