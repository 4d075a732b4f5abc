"""Upload bounds: what a decompression bomb and an oversized upload cost the web process.

Starts gunicorn (one sync worker) on a scratch SQLite database, signs in a curator by token and sends:

1. a valid evaluation package (201: the baseline the worker's memory is compared with);
2. the issue's bomb: an `eval.npz` of float32 zeros, about 3 MB on the wire, 3 GiB once inflated;
3. a request declaring a 400 MB body (the bytes are never sent: the answer comes from the header);
4. a 60 MB multipart upload that is really sent (over the evaluation file's 20 MB limit).

For each it prints the status, the error message and the worker's peak resident memory (`VmHWM`), which
only grows: a figure that stays near the baseline means the bomb was refused without being inflated.

    .venv/bin/python bench/upload_bomb.py
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
PORT = 8781
PACKAGE = ROOT / "catalogue" / "models" / "digits-robust"


def bomb_npz(path: Path, gib: int = 3) -> None:
    """x.npy: float32 zeros [N, 64] totalling `gib` GiB, deflated (written in chunks, never held whole)."""
    rows = gib * 1024**3 // (64 * 4)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (rows, 64)})
    chunk = bytes(64 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(gib * 1024**3 // len(chunk)):
                member.write(chunk)
        labels = io.BytesIO()
        np.save(labels, np.zeros(rows, np.int64))
        archive.writestr("y.npy", labels.getvalue())


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="upload-bomb-"))
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHI",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "PORTAL_DATA_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'portal.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup = (
        "from accounts.models import Role, RoleGrant, User; from rest_framework.authtoken.models import Token;"
        "u = User.objects.create_user('bench-curator', password=None); RoleGrant.objects.create(user=u, role=Role.CURATOR);"
        "print(Token.objects.create(user=u).key)"
    )
    token = subprocess.run(
        [python, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-1]

    bomb = work / "eval-bomb.npz"
    started = time.perf_counter()
    bomb_npz(bomb, gib=int(os.environ.get("BOMB_GIB", "3")))
    print(
        f"# bomb: {bomb.stat().st_size / 1e6:.1f} MB on the wire, 3 GiB inflated (built in {time.perf_counter() - started:.0f} s)"
    )

    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "portal.wsgi", "-w", "1", "-b", f"127.0.0.1:{PORT}", "--timeout", "300"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "gunicorn.log", "w"),
    )
    try:
        worker = worker_pid(server.pid)
        url = f"http://127.0.0.1:{PORT}/api/v1/models/"
        headers = {"Authorization": f"Token {token}"}
        for _ in range(100):
            try:
                requests.get(url, timeout=60)
                break
            except requests.RequestException:
                time.sleep(0.2)
        files = {name: (PACKAGE / name).read_bytes() for name in ("model.onnx", "eval.npz", "metadata.json")}

        def register(slug: str, eval_file: bytes | Path) -> requests.Response:
            data = {"slug": slug, "name": slug, "version": "1", "licence": "MIT", "metadata": files["metadata.json"].decode()}
            upload = eval_file.open("rb") if isinstance(eval_file, Path) else eval_file
            return requests.post(
                url,
                headers=headers,
                data=data,
                files={"onnx_file": ("model.onnx", files["model.onnx"]), "eval_file": ("eval.npz", upload)},
                timeout=300,
            )

        def report(label: str, response_status: int, body: str) -> None:
            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = "-"
            print(f"{label:<42} {response_status}  peak RSS {peak_kib(worker) / 1024:7.1f} MiB  {message}")

        print(f"{'request':<42} status  worker memory  message")
        print(f"{'(worker started, one GET served)':<42} -    peak RSS {peak_kib(worker) / 1024:7.1f} MiB")
        response = register("valid", files["eval.npz"])
        report("valid package", response.status_code, response.text)
        response = register("bomb", bomb)
        report("eval.npz bomb (3 GiB inflated)", response.status_code, response.text)

        with socket.create_connection(("127.0.0.1", PORT), timeout=30) as sock:
            sock.sendall(
                (
                    f"POST /api/v1/models/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token {token}\r\n"
                    "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 419430400\r\n"
                    "Connection: close\r\n\r\n"
                ).encode()
            )
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            report("declared 400 MB body (not sent)", answer.status, answer.read().decode("utf-8", "replace"))
        response = register("big", bytes(60 * 1024 * 1024))
        report("60 MB eval.npz, sent", response.status_code, response.text)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
