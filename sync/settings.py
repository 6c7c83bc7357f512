"""Process settings, from the environment (``ORDERHUB_*``) or a ``.env`` file."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERHUB_", env_file=".env", extra="ignore")

    #: SQLite file by default (the embedded default); PostgreSQL in production
    database_url: str = "sqlite:///var/orderhub.sqlite3"
    #: empty: the in-process broker (embedded default); ``redis://...`` in production
    broker_url: str = ""
    #: where shared rate-limit buckets live; empty means the broker's Redis, or memory when none
    ratelimit_url: str = ""
    #: requests per second spent on one supplier account: below BigBuy's documented 1/s
    supplier_rate: float = 0.9
    #: orders sitting longer than this in new/ready/forwarding are re-enqueued by the reconciler
    stuck_after_seconds: int = 120
    reconcile_every_seconds: int = 60
    #: orders unpaid for longer than this are read again from their channel by the reconciler,
    #: in case the update that paid them was missed
    unpaid_check_after_seconds: int = 3600
    #: how many unpaid orders one reconciler sweep reads again (one channel call each)
    unpaid_checks_per_sweep: int = 50
    track_every_seconds: int = 600
    #: how often the supplier's stock lists are read again (BigBuy allows about 10 calls an hour per list)
    stock_every_seconds: int = 3600
    #: how long a cached wallet balance is trusted before it is read again
    wallet_ttl_seconds: int = 300
    #: what this installation's supplier references start with, so that two installations (or a
    #: staging copy) on one supplier account never take each other's orders; read once, then the
    #: value stored in the database wins. Empty: derived at random on first use.
    reference_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9]{0,12}$")
    #: alerts (sync.alerts): how often conditions are looked at, and when each is raised (0: never)
    alert_every_seconds: int = Field(default=60, ge=5)
    #: an order waiting in pending_review longer than this
    alert_review_after_minutes: int = Field(default=240, ge=0)
    #: a sales channel with no successful sync for this long
    alert_channel_silent_minutes: int = Field(default=60, ge=0)
    #: a sales channel with no new order for this long (0: a quiet shop is no alarm)
    alert_no_orders_hours: float = Field(default=0, ge=0)
    #: the supplier wallet below this (it is also short when below what the orders held for it cost)
    alert_wallet_below: Decimal = Field(default=Decimal("0"), ge=0)
    #: e-mail: no host, no e-mail; ``smtp_to`` takes addresses separated by commas
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    smtp_to: str = ""
    smtp_starttls: bool = True
    #: a JSON POST per change of an alert; with a secret, the body's HMAC-SHA256 goes in a header
    alert_webhook_url: SecretStr = SecretStr("")
    alert_webhook_secret: SecretStr = SecretStr("")
    #: the web admin's address as the platforms reach it, for ``channels webhooks register``
    public_url: str = ""
    #: payment proofs (a messenger order's slip): kept in the database unless a bucket is named,
    #: then in that S3-compatible bucket (``sync.blobs``); every admin instance reads them either way
    proofs_s3_bucket: str = ""
    #: empty: AWS itself; otherwise the S3-compatible service's address (MinIO, R2, ...)
    proofs_s3_endpoint_url: str = ""
    proofs_s3_region: str = ""
    proofs_s3_access_key_id: SecretStr = SecretStr("")
    proofs_s3_secret_access_key: SecretStr = SecretStr("")
    #: put before every object's name, such as ``orderhub/proofs/``
    proofs_s3_prefix: str = Field(default="", max_length=200, pattern=r"^[A-Za-z0-9/_.-]*$")
    #: how long a buyer's link to a messenger order works until the details are sent; a store's
    #: ``link_hours`` setting overrides it
    messenger_link_hours: float = Field(default=72, ge=1, le=90 * 24)
    log_level: str = "INFO"
    log_json: bool = False

    def ratelimit_storage(self) -> str:
        if self.ratelimit_url:
            return self.ratelimit_url
        if self.broker_url.startswith("redis"):
            return self.broker_url
        return "memory://"


@cache
def get_settings() -> Settings:
    return Settings()
