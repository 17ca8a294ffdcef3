"""Configuration from environment variables only (12-factor; the same in
containers, `make run` and tests). Defaults are the embedded local stack."""
from __future__ import annotations

import os
from dataclasses import dataclass

DOMAIN_SERVICES = ("units", "supervision", "study", "evaluation")
ALL_PROCESSES = DOMAIN_SERVICES + ("gateway",)


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    mongo_uri: str
    db_prefix: str
    gateway_host: str
    gateway_port: int
    relay_poll_seconds: float
    inbox_retries: int
    catch_up_seconds: float
    soft_group_limit: int
    rpc_timeout: float
    # the gateway's input limits and its brake on failed authentication (README: Input limits)
    max_body_bytes: int = 1024 * 1024
    # the largest evidence file (POST /attachments): the gateway and the owning service refuse
    # a larger one with a 413 (shared/attachments.py)
    attachment_max_bytes: int = 20 * 1024 * 1024
    auth_failure_limit: int = 20
    auth_failure_window: float = 60.0
    # the longest an idle relay and an idle catch-up wait between looks (shared.pace): each
    # starts at relay_poll_seconds / catch_up_seconds and doubles while it finds nothing
    relay_idle_seconds: float = 5.0
    catch_up_idle_seconds: float = 30.0
    # how often the scheduler looks for obligations whose due date has passed
    scheduler_seconds: float = 30.0
    # how long a database call waits for the server before it fails (a fast 503, not a hang)
    db_timeout: float = 5.0
    # the dashboard's cookies: Secure always, never, or when the request came over TLS
    # ("auto": https, or X-Forwarded-Proto https from a trusted proxy's address)
    cookie_secure: str = "auto"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # nameko's worker threads per service process: requests and deliveries handled at once
    max_workers: int = 40
    # how long after a unit is accepted the names of the people it notified (the survey's
    # respondents) are kept before they are erased by themselves (issue 19)
    retention_days: int = 365

    def database_name(self, service: str) -> str:
        """One database per service: no service reads another's database."""
        return f"{self.db_prefix}_{service}"

    def mongo_options(self) -> dict:
        """MongoClient keyword options bounding how long a call waits for an unreachable
        server (pymongo waits 30 s to select one and 20 s to connect by default), except
        where the URI sets them itself. The server is monitored by a hello every 10 s
        (``serverMonitoringMode=poll``) rather than a streamed one held open on the server:
        SecantusDB wakes a held hello four times a second, a third of an idle stack's
        database CPU (issue 18, item 6); a failed operation still marks the server unknown
        at once, as in either mode."""
        wanted = {"serverSelectionTimeoutMS": int(self.db_timeout * 1000),
                  "connectTimeoutMS": int(self.db_timeout * 1000),
                  "serverMonitoringMode": "poll"}
        given = self.mongo_uri.lower()
        return {name: value for name, value in wanted.items() if f"{name.lower()}=" not in given}

    def nameko_config(self) -> dict:
        # a broker outage of any length is ridden out (shared/service_kit/container.py)
        from shared.service_kit.container import CONTAINER_PATH, TRANSPORT_OPTIONS
        return {"AMQP_URI": self.amqp_uri,
                "WEB_SERVER_ADDRESS": f"{self.gateway_host}:{self.gateway_port}",
                "max_workers": self.max_workers,
                "serializer": "json",
                "SERVICE_CONTAINER_CLS": CONTAINER_PATH,
                "TRANSPORT_OPTIONS": dict(TRANSPORT_OPTIONS)}


def settings() -> Settings:
    env = os.environ
    return Settings(
        amqp_uri=env.get("DUDAO_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        mongo_uri=env.get("DUDAO_MONGO_URI", "mongodb://127.0.0.1:27117/?retryWrites=false"),
        db_prefix=env.get("DUDAO_DB_PREFIX", "dudao"),
        gateway_host=env.get("DUDAO_GATEWAY_HOST", "127.0.0.1"),
        gateway_port=int(env.get("DUDAO_GATEWAY_PORT", "8080")),
        relay_poll_seconds=float(env.get("DUDAO_RELAY_POLL_SECONDS", "1")),
        inbox_retries=int(env.get("DUDAO_INBOX_RETRIES", "3")),
        catch_up_seconds=float(env.get("DUDAO_CATCH_UP_SECONDS", "2")),
        relay_idle_seconds=float(env.get("DUDAO_RELAY_IDLE_SECONDS", "5")),
        catch_up_idle_seconds=float(env.get("DUDAO_CATCH_UP_IDLE_SECONDS", "30")),
        soft_group_limit=int(env.get("DUDAO_GROUP_SOFT_LIMIT", "10")),
        rpc_timeout=float(env.get("DUDAO_RPC_TIMEOUT", "10")),
        max_body_bytes=int(env.get("DUDAO_MAX_BODY_BYTES", str(1024 * 1024))),
        attachment_max_bytes=int(env.get("DUDAO_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))),
        auth_failure_limit=int(env.get("DUDAO_AUTH_FAILURE_LIMIT", "20")),
        auth_failure_window=float(env.get("DUDAO_AUTH_FAILURE_WINDOW", "60")),
        db_timeout=float(env.get("DUDAO_DB_TIMEOUT", "5")),
        cookie_secure=_one_of("DUDAO_COOKIE_SECURE", env.get("DUDAO_COOKIE_SECURE", "auto"),
                              ("auto", "true", "false")),
        trusted_proxies=tuple(a.strip() for a in env.get("DUDAO_TRUSTED_PROXIES", "127.0.0.1,::1")
                              .split(",") if a.strip()),
        scheduler_seconds=float(env.get("DUDAO_SCHEDULER_SECONDS", "30")),
        max_workers=int(env.get("DUDAO_MAX_WORKERS", "40")),
        retention_days=_days("DUDAO_RETENTION_DAYS", env.get("DUDAO_RETENTION_DAYS", "365")),
    )


def _days(name: str, value: str) -> int:
    try:
        days = int(value.strip())
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"{name} is a whole number of days, 0 or more, not {value!r}")
    return days


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} is one of {', '.join(allowed)}, not {value!r}")
    return value
