"""/health asks every service and the database at once, each for HEALTH_SECONDS: nothing
that hangs (a service whose database is down, the gateway's own database) holds it up."""
import time

import eventlet

from services.gateway import service as G


class Hanging:
    def __init__(self, up: set):
        self.up = up

    def __getitem__(self, name):
        up = name in self.up

        class Proxy:
            def health(self):
                if not up:
                    eventlet.sleep(30)
                return {"service": name, "ok": True}
        return Proxy()


class Tokens:
    def __init__(self, hang: bool):
        hang_for = 30 if hang else 0

        class Database:
            def command(self, name):
                eventlet.sleep(hang_for)
                return {"ok": 1}

        class Collection:
            database = Database()
        self.tokens = Collection()


def gateway(up, database_hangs):
    svc = G.GatewayService.__new__(G.GatewayService)
    svc.cluster, svc.tokens = Hanging(up), Tokens(database_hangs)
    return svc


def test_everything_up_is_green():
    body, status = gateway({"units", "supervision", "study", "evaluation"}, False)._health()
    assert status == 200 and body["status"] == "ok"


def test_hanging_services_and_database_are_reported_down_together_not_one_after_another():
    started = time.monotonic()
    body, status = gateway({"units"}, True)._health()
    took = time.monotonic() - started
    assert status == 503 and body["status"] == "degraded"
    assert body["services"]["units"]["ok"] is True
    assert [n for n, s in body["services"].items() if not s["ok"]] == ["supervision", "study", "evaluation"]
    assert body["dependencies"]["mongodb"]["ok"] is False
    # asked at once: about one HEALTH_SECONDS in all, not one per hanging part (4 here)
    assert took < 3 * G.HEALTH_SECONDS, took


class BrokerDown:
    def __getitem__(self, name):
        from kombu.exceptions import OperationalError

        class Proxy:
            def __getattr__(self, method):
                def call(**kwargs):
                    raise OperationalError("[Errno 111] ECONNREFUSED")
                return call
        return Proxy()


def test_the_broker_down_is_a_503_naming_the_broker_not_a_500():
    try:
        G.rpc_call(BrokerDown(), "units", "register_unit", {}, 5)
    except G.ServiceUnavailable as err:
        assert "message broker is not answering" in str(err) and err.service == "units"
    else:
        raise AssertionError("no ServiceUnavailable")
    svc = gateway(set(), False)
    svc.cluster = BrokerDown()
    body, status = svc._health()
    assert status == 503
    assert body["dependencies"]["rabbitmq"] == {"ok": False, "error": "not answering"}


def test_a_broker_whose_port_is_closed_is_reported_down_naming_no_host(monkeypatch):
    from shared import launcher
    monkeypatch.setenv("DUDAO_AMQP_URI", f"amqp://guest:guest@127.0.0.1:{launcher.free_port()}/")
    body, status = gateway({"units", "supervision", "study", "evaluation"}, False)._health()
    assert status == 503 and body["status"] == "degraded"
    assert body["dependencies"]["rabbitmq"] == {"ok": False, "error": "not answering"}
