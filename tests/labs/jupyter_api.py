"""Executing code in a student's lab through the Jupyter server's own API (REST + kernel websocket)."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


def execute(server_url: str, token: str, code: str, timeout: float = 60) -> str:
    """Starts a kernel on the server at `server_url` (…/user/<name>), runs `code`, returns its stdout, stops the kernel."""
    headers = {"Authorization": f"token {token}"}
    kernel = requests.post(f"{server_url}/api/kernels", json={"name": "python3"}, headers=headers, timeout=30)
    kernel.raise_for_status()
    kernel_id = kernel.json()["id"]
    try:
        # Its own thread and loop: in the full suite Playwright's sync API keeps a loop running in this thread.
        with ThreadPoolExecutor(max_workers=1) as thread:
            coroutine = _run(server_url.replace("http", "ws", 1), kernel_id, headers, code, timeout)
            return thread.submit(asyncio.run, coroutine).result()
    finally:
        requests.delete(f"{server_url}/api/kernels/{kernel_id}", headers=headers, timeout=30)


async def _run(ws_url: str, kernel_id: str, headers: dict[str, str], code: str, timeout: float) -> str:
    request = HTTPRequest(f"{ws_url}/api/kernels/{kernel_id}/channels", headers=headers)
    connection = await websocket_connect(request)
    msg_id = uuid.uuid4().hex
    message: dict[str, Any] = {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "",
            "session": uuid.uuid4().hex,
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False},
        "channel": "shell",
        "buffers": [],
    }
    connection.write_message(json.dumps(message))
    output: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                raw = await connection.read_message()
                if raw is None:
                    raise RuntimeError("the kernel's websocket closed")
                reply = json.loads(raw)
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = reply["msg_type"]
                if kind == "stream":
                    output.append(reply["content"]["text"])
                elif kind == "error":
                    output.append(f"{reply['content']['ename']}: {reply['content']['evalue']}")
                elif kind == "status" and reply["content"]["execution_state"] == "idle":
                    return "".join(output)
    finally:
        connection.close()
