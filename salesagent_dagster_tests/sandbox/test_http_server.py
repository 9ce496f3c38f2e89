"""The shared plumbing: routing, error shapes, fault injection and the standalone entry points."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from salesagent_dagster.sandbox.http_server import (
    EmulatorServer,
    FaultRegistry,
    Request,
    Response,
)


class TinyServer(EmulatorServer):
    def __init__(self) -> None:
        super().__init__("127.0.0.1", 0)
        self.calls = 0
        self.route("GET", r"/items/(?P<id>[^/]+)", self._item)
        self.route("POST", r"/items", self._create)
        self.route("GET", r"/boom", self._boom)
        self.start()

    def error_body(self, status, message, reason, path):
        return {"code": status, "message": message or "default", "reason": reason}

    def _item(self, request: Request) -> Response:
        return Response(200, {"id": request.params["id"]})

    def _create(self, request: Request) -> Response:
        self.calls += 1
        return Response(201, request.json())

    def _boom(self, request: Request) -> Response:
        raise RuntimeError("a bug in an emulator")


@pytest.fixture
def server():
    with TinyServer() as running:
        yield running


def test_routes_decode_captured_segments_and_answer_errors_in_the_service_shape(server):
    assert requests.get(f"{server.url}/items/a%2Fb%40c", timeout=5).json() == {"id": "a/b@c"}
    missing = requests.get(f"{server.url}/nothing", timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, 404)
    assert requests.delete(f"{server.url}/items/1", timeout=5).status_code == 405
    bad_json = requests.post(f"{server.url}/items", data=b"{nope", timeout=5)
    assert bad_json.status_code == 400 and "Invalid JSON" in bad_json.json()["message"]


def test_a_handler_bug_is_a_500_in_the_service_shape(server, capsys):
    answer = requests.get(f"{server.url}/boom", timeout=5)
    assert (answer.status_code, answer.json()["code"]) == (500, 500)
    assert "a bug in an emulator" in capsys.readouterr().err  # said on stderr, once


def test_requests_are_not_logged(server, capsys):
    requests.get(f"{server.url}/items/1", timeout=5)
    assert capsys.readouterr().err == ""


def test_faults_apply_count_times_to_matching_method_and_path(server):
    server.add_fault(path="^/items$", method="POST", mode="status", status=503, count=2)
    server.add_fault(path="^/items$", mode="status", status=429, retry_after=3, reason="slow")
    answers = [requests.post(f"{server.url}/items", json={}, timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 503, 429, 201]
    assert answers[2].headers["Retry-After"] == "3" and answers[2].json()["reason"] == "slow"
    assert requests.get(f"{server.url}/items/1", timeout=5).status_code == 200
    assert server.calls == 1  # "status" answers without doing the work


def test_accept_then_fail_does_the_work_first(server):
    server.add_fault(path="/items", mode="accept_then_fail", status=502, message="upstream")
    answer = requests.post(f"{server.url}/items", json={"a": 1}, timeout=5)
    assert (answer.status_code, answer.json()["message"], server.calls) == (502, "upstream", 1)


def test_accept_then_hang_answers_after_the_client_gave_up(server):
    server.add_fault(path="/items", mode="accept_then_hang", seconds=0.5)
    with pytest.raises(requests.Timeout):
        requests.post(f"{server.url}/items", json={}, timeout=0.1)
    assert server.calls == 1


def test_latency_delays_a_normal_answer(server):
    server.add_fault(path="/items/", mode="latency", ms=50)
    started = time.monotonic()
    assert requests.get(f"{server.url}/items/1", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.045


def test_faults_over_the_admin_routes(server):
    url = f"{server.url}/_admin/faults"
    created = requests.post(url, json={"path": "/items", "mode": "latency", "ms": 1}, timeout=5)
    assert created.status_code == 201 and created.json()["count"] == 1
    assert [f["mode"] for f in requests.get(url, timeout=5).json()["faults"]] == ["latency"]
    assert requests.post(url, json={"path": "/x", "mode": "explode"}, timeout=5).status_code == 400
    assert requests.post(url, json={"path": "(", "mode": "status"}, timeout=5).status_code == 400
    assert (
        requests.post(
            url, json={"path": "/x", "mode": "status", "colour": 1}, timeout=5
        ).status_code
        == 400
    )
    assert requests.delete(url, timeout=5).status_code == 204
    assert server.faults.pending() == []


def test_registry_validates_specs():
    registry = FaultRegistry()
    with pytest.raises(ValueError):
        registry.add({"path": "/x", "mode": "status", "count": 0})
    registry.add({"path": "/x", "mode": "status"})
    assert registry.take("GET", "/y") is None
    assert registry.take("GET", "/x/1") is not None
    assert registry.take("GET", "/x/1") is None


@pytest.mark.parametrize("module", ["hubspot_emulator", "gmail_emulator"])
def test_standalone_entry_points_serve_until_terminated(module):
    process = subprocess.Popen(
        [sys.executable, "-m", f"salesagent_dagster.sandbox.{module}", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/_admin/state", timeout=5).status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0 and "Warning" not in stderr
