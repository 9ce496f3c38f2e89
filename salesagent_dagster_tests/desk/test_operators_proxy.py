"""deploy/nginx/ under the real nginx (Debian's package): nobody reaches the Dagster UI
without signing in to the desk, viewers reach only the read-only webserver, admins the full
one. Two small HTTP servers stand in for the two webservers and say which one answered.

Skipped when nginx is not installed locally; under CI (`CI` set) that is a failure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from salesagent_dagster_tests.desk.conftest import PASSWORDS
from salesagent_dagster_tests.desk.desk_client import DeskClient
from salesagent_dagster_tests.edge.edge_server import wait_for

CONFIG_DIR = Path(__file__).resolve().parents[2] / "deploy" / "nginx"


def nginx_or_skip() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("the proxy test needs nginx (apt-get install -y nginx-light)")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    return found


class _Webserver(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = f"{self.server.name} {self.command} {self.path}".encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def stand_in(name: str) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webserver)
    server.name = name  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_nginx(
    nginx: str, root: Path, desk_port: int, admin: int, readonly: int
) -> Iterator[int]:
    port = free_port()
    server = (
        (CONFIG_DIR / "operators.conf")
        .read_text()
        .replace("listen 8000;", f"listen 127.0.0.1:{port};")
    )
    (root / "operators.conf").write_text(server)
    (root / "upstreams.conf").write_text(
        f"upstream desk {{ server 127.0.0.1:{desk_port}; }}\n"
        f"upstream dagster_admin {{ server 127.0.0.1:{admin}; }}\n"
        f"upstream dagster_readonly {{ server 127.0.0.1:{readonly}; }}\n"
    )
    (root / "nginx.conf").write_text(
        f"worker_processes 1;\nerror_log {root}/error.log warn;\npid {root}/nginx.pid;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"  access_log off;\n  client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n"
        f"  fastcgi_temp_path {root}/fcgi;\n  uwsgi_temp_path {root}/uwsgi;\n  scgi_temp_path {root}/scgi;\n"
        f"  include {root}/upstreams.conf;\n  include {root}/operators.conf;\n"
        "}\n"
    )
    test = subprocess.run([nginx, "-t", "-p", str(root), "-c", str(root / "nginx.conf")],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        assert wait_for(answers), (root / "error.log").read_text()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_dagster_ui_is_reached_only_through_the_desks_sign_in(desk, tmp_path):
    nginx = nginx_or_skip()
    desk_port = int(desk.url.rsplit(":", 1)[1])
    with stand_in("admin-webserver") as admin, stand_in("readonly-webserver") as readonly, \
            running_nginx(nginx, tmp_path, desk_port, admin, readonly) as port:  # fmt: skip
        proxy = f"http://127.0.0.1:{port}"

        stranger = DeskClient(proxy)
        for method, path in (("GET", "/"), ("GET", "/runs"), ("POST", "/graphql")):
            answer = stranger.request(method, path, [] if method == "POST" else None)
            assert answer.status == 302, (method, path, answer.status)
            assert answer.location.endswith(f"/signin?next={path}")
            assert "webserver" not in answer.body
        assert stranger.get("/_salesagent_auth").status == 404  # internal only
        assert stranger.get("/review").status == 303  # the desk's own sign-in redirect
        # The OpenID paths reach the desk too (which has none configured here: its 404),
        # not the Dagster UI's sign-in redirect.
        assert stranger.request("POST", "/signin/oidc", []).status == 404
        assert stranger.get("/signin/oidc/callback?code=c&state=s").status == 404

        viewer = DeskClient(proxy)
        assert viewer.sign_in("vera", PASSWORDS["vera"]).status == 303
        assert viewer.get("/").body == "readonly-webserver GET /"
        assert viewer.request("POST", "/graphql", []).body == "readonly-webserver POST /graphql"
        assert viewer.get("/review").status == 200  # the desk through the same door

        reviewer = DeskClient(proxy)
        assert reviewer.sign_in("rick", PASSWORDS["rick"]).status == 303
        assert reviewer.request("POST", "/graphql", []).body.startswith("readonly-webserver")

        admin_client = DeskClient(proxy)
        assert admin_client.sign_in("ada", PASSWORDS["ada"]).status == 303
        answer = admin_client.request("POST", "/graphql", [])
        assert answer.body == "admin-webserver POST /graphql"
        assert answer.headers["x-frame-options"] == "DENY"

        forged = DeskClient(proxy, cookies={"salesagent_desk": "eyJvcCI6ImFkYSJ9.x.y"})
        assert forged.get("/").status == 302
