"""`scripts/cluster status`: what the running cluster's parts say of
themselves (var/cluster/state.json names them)."""

from __future__ import annotations

import socket

import httpx
import redis


def _redis_line(address: str) -> tuple[bool, str]:
    host, port = address.rsplit(":", 1)
    try:
        with redis.Redis(host=host, port=int(port), socket_timeout=1) as client:
            info = client.info("replication")
    except redis.RedisError as error:
        return False, f"  redis {address}: DOWN ({type(error).__name__})"
    role = info["role"]
    extra = (
        f"{info.get('connected_slaves', 0)} replicas"
        if role == "master"
        else f"of {info.get('master_host')}:{info.get('master_port')}, "
        f"link {info.get('master_link_status')}"
    )
    return True, f"  redis {address}: {role} ({extra})"


def _sentinel_line(sentinels: str, name: str) -> tuple[bool, str]:
    answers = []
    for address in sentinels.split(","):
        host, port = address.rsplit(":", 1)
        try:
            with redis.Redis(
                host=host, port=int(port), socket_timeout=1, decode_responses=True
            ) as client:
                master = client.sentinel_get_master_addr_by_name(name)
            answers.append(f"{address} → {master[0]}:{master[1]}")
        except (redis.RedisError, TypeError):
            answers.append(f"{address} → DOWN")
    ok = (
        all("DOWN" not in a for a in answers)
        and len({a.split("→")[1] for a in answers}) == 1
    )
    return ok, "  sentinels: " + "; ".join(answers)


def _haproxy_states(path: str) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(2)
        sock.connect(path)
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    rows = data.decode().splitlines()
    header = rows[0].lstrip("# ").split(",")
    states = []
    for row in rows[1:]:
        values = dict(zip(header, row.split(","), strict=False))
        if values.get("svname", "").startswith("app"):
            states.append(
                f"{values['svname']} {values['status']} ({values['scur']} open)"
            )
    return ", ".join(states)


def report(state: dict) -> tuple[bool, str]:
    """(all well, the text to print)."""
    ok = True
    lines = [f"Cluster (pid {state['pid']}) at {state['url']}/"]
    for server in state["servers"]:
        try:
            answer = httpx.get(f"{server['url']}/healthz", timeout=3)
            body = answer.json()
            good = answer.status_code == 200
        except (httpx.HTTPError, ValueError) as error:
            body, good = type(error).__name__, False
        ok &= good
        lines.append(f"  chat server {server['n']} {server['url']}: {body}")
    for address in state["redis"]:
        good, line = _redis_line(address)
        ok &= good
        lines.append(line)
    good, line = _sentinel_line(state["sentinels"], state["master_name"])
    ok &= good
    lines.append(line)
    try:
        lines.append("  haproxy: " + _haproxy_states(state["haproxy_socket"]))
    except OSError as error:
        ok = False
        lines.append(f"  haproxy: DOWN ({error})")
    lines.append(f"  database: {state['database_url']}")
    return ok, "\n".join(lines)
