"""Starting and stopping the suite's processes: nats-server (with the suite's accounts), the
embedded MongoDB (devstack.mongo_server) and the services."""
from __future__ import annotations

import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from devstack.mongo_server import DEFAULT_TRANSACTION_LIFETIME_SECONDS
from devstack.nats_config import NatsAccounts

REPO = pathlib.Path(__file__).resolve().parent.parent
SERVICES = ("moderation", "chat", "returns", "notify")


class StartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def tool(name: str) -> str:
    """A console script of the project's environment (next to this Python), else PATH."""
    candidate = pathlib.Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise StartError(f"{name} not found: run `make install` (it comes with requirements-dev.txt)")
    return found


@dataclass
class Managed:
    name: str
    process: subprocess.Popen
    log_path: pathlib.Path
    address: str = ""
    extra: dict = field(default_factory=dict)

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def spawn(name: str, argv: list[str], log_path: pathlib.Path, env: dict[str, str] | None = None) -> Managed:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab", buffering=0) as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=REPO,
            start_new_session=True,  # Ctrl-C in the terminal reaches the supervisor only; it stops children in order
        )
    return Managed(name, process, log_path)


def wait_for(check, what: str, managed: Managed | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if managed is not None and not managed.alive():
            raise StartError(f"{what} exited with code {managed.process.returncode}; last log lines:\n{managed.tail()}")
        if check():
            return
        time.sleep(0.1)
    raise StartError(f"{what} not ready after {timeout:.0f}s" + (f"; last log lines:\n{managed.tail()}" if managed else ""))


def start_nats(state_dir: pathlib.Path, logs: pathlib.Path, port: int = 0, *, accounts: NatsAccounts) -> Managed:
    """nats-server with JetStream and the suite's accounts (no anonymous access): its
    configuration, passwords included, is written to <state_dir>/nats/nats.conf (mode 0600).
    `address` is the bare URL; `extra["accounts"]` the users and passwords."""
    port = port or free_port()
    store = state_dir / "nats"
    store.mkdir(parents=True, exist_ok=True)
    config = store / "nats.conf"
    config.touch(mode=0o600)
    config.chmod(0o600)
    config.write_text(accounts.config())
    argv = [tool("nats-server"), "-c", str(config), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)]
    managed = spawn("nats", argv, logs / "nats.log")
    managed.address = f"nats://127.0.0.1:{port}"
    managed.extra["accounts"] = accounts
    wait_for(lambda: port_is_open("127.0.0.1", port), "nats-server", managed, 20)
    return managed


def start_mongo(
    storage: str, logs: pathlib.Path, port: int = 0, durable: bool = False,
    transaction_lifetime_seconds: float = DEFAULT_TRANSACTION_LIFETIME_SECONDS,
) -> Managed:
    """SecantusDB in its default single-node replica-set mode (transactions, change streams),
    through devstack.mongo_server: a transaction left open by a crashed client is aborted after
    `transaction_lifetime_seconds`."""
    port = port or free_port()
    if storage != ":memory:":
        pathlib.Path(storage).mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "devstack.mongo_server", "--host", "127.0.0.1", "--port", str(port), "--storage-path", storage,
            "--log-level", "WARNING", "--transaction-lifetime-seconds", f"{transaction_lifetime_seconds:g}"]
    if durable:
        argv.append("--sync-on-commit")
    managed = spawn("mongodb", argv, logs / "mongodb.log")
    managed.address = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    wait_for(lambda: _mongo_ready(managed.address), "secantusd-py (embedded MongoDB)", managed, 30)
    return managed


def _mongo_ready(uri: str) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    try:
        client: MongoClient[dict] = MongoClient(uri, serverSelectionTimeoutMS=300, connectTimeoutMS=300)
        try:
            return bool(client.admin.command("ping").get("ok"))
        finally:
            client.close()
    except PyMongoError:
        return False


def grpc_serving(address: str) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=0.5)
            return reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False
