"""The local platform: a Kafka broker and the five services as background processes.

Everything lives under one data folder (default `./.data`): each service's SQLite
database and files in `<data>/<service>/`, logs in `<data>/logs/`, process ids and
the port offset in `<data>/run/`. The processes outlive the command that started
them, so `recon status` and `recon down` can find them later. The port offset file
stays after `recon down`, so every later command on the data folder uses the ports
of the last `recon up` unless `RECON_PORT_OFFSET` is set.

`up` starts only what is not running. After a crash it starts the missing services
(and the broker) again next to the ones that still run, on the same port offset.

The ingest service creates its SFTP host key on first start. Once ingest is ready,
the stack writes that key's public half to `<data>/ingest/known_hosts`, so OpenSSH's
`sftp` can check the host key without asking the user to accept it.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import httpx
from recon_keyvault.settings import DEVELOPMENT_SERVICE_TOKEN

from recon_platform.infra.kafka import KafkaBroker
from recon_platform.infra.processes import port_is_free, process_is_alive
from recon_platform.service_logs import last_exception

BANK_ID = "demo-bank"
# The service token of every local service. Ingest, matcher and audit require it on
# their APIs, and every service sends it when it calls another. It is the settings'
# development default, because the key broker in development accepts that value from
# any service it has no token for.
SERVICE_TOKEN = DEVELOPMENT_SERVICE_TOKEN
# Start order: the key broker first (ingest needs it to encrypt), reporting last.
# Stop order is the reverse.
SERVICE_ORDER = ("keyvault", "audit", "ingest", "matcher", "reporting")
_BASE_PORTS = {
    "reporting": 8080,
    "ingest": 8081,
    "matcher": 8082,
    "keyvault": 8083,
    "audit": 8084,
    "sftp": 2222,
    "kafka": 19092,
}


# The file in `<data>/run/` with the port offset of the last `up`. `down` keeps it.
_OFFSET_FILE = "port-offset"
# The highest port number that TCP allows.
_MAX_PORT = 65_535

# Seconds between "still waiting" lines while services start.
PROGRESS_INTERVAL_S = 5.0


class StackError(RuntimeError):
    """The local platform cannot be started, reached or stopped."""


def parse_port_offset(text: str, *, source: str) -> int:
    """Parse a port offset, and raise `StackError` naming `source` if it is invalid.

    The offset must be a whole number from 0 up to the value that moves the highest
    port of the stack (Kafka, 19092) to 65535.
    """
    try:
        offset = int(text)
    except ValueError:
        raise StackError(
            f"invalid port offset {text!r} in {source}: expected a whole number "
            "such as 100"
        ) from None
    highest = _MAX_PORT - max(_BASE_PORTS.values())
    if not 0 <= offset <= highest:
        raise StackError(
            f"port offset {offset} in {source} is out of range: it must be between "
            f"0 and {highest}, so that every port stays at or below {_MAX_PORT}"
        )
    return offset


@dataclass(frozen=True)
class Ports:
    offset: int = 0

    def of(self, name: str) -> int:
        """Return the port of a service, shifted by `RECON_PORT_OFFSET`."""
        return _BASE_PORTS[name] + self.offset

    def all_free(self) -> bool:
        """Return whether every port of the stack is free."""
        return all(port_is_free(self.of(name)) for name in _BASE_PORTS)

    @classmethod
    def find_free(cls) -> "Ports":
        """Return ports shifted to a range where all of them are free."""
        for offset in range(20_000, 40_000, 137):
            candidate = cls(offset)
            if candidate.all_free():
                return candidate
        raise StackError("no free range of ports found between 22000 and 48000")


class LocalStack:
    """Start, inspect and stop the platform on one machine."""

    def __init__(
        self,
        data_dir: Path,
        *,
        ports: Ports | None = None,
        database_urls: dict[str, str] | None = None,
        topic_prefix: str = "",
        kafka_bootstrap: str | None = None,
        extra_env: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        # Tests point the services at PostgreSQL databases and a shared broker.
        self.database_urls = database_urls or {}
        self.topic_prefix = topic_prefix
        self.kafka_bootstrap = kafka_bootstrap
        # Settings per service without the prefix: {"ingest": {"CHUNK_SIZE": "50"}}.
        self.extra_env = extra_env or {}
        # Children started by this object, kept so they are reaped when they stop.
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        # Where each service's log stood when this object started the service.
        self._log_starts: dict[str, int] = {}
        self.logs_dir = self.data_dir / "logs"
        self.run_dir = self.data_dir / "run"
        self.kafka_dir = self.data_dir / "kafka"
        # True when the offset comes from the data folder's last `up`, so that the
        # command line can tell the user where the ports come from.
        self.offset_from_last_run = False
        self.ports = ports or Ports(self._default_offset())

    def _default_offset(self) -> int:
        """Return `RECON_PORT_OFFSET`, else the offset of the last `up`, else 0.

        A user who started the stack with an offset and left it out in a later
        command would otherwise look for the services on other ports, or start them
        again on ports that another program takes. An empty variable counts as unset.
        """
        text = os.environ.get("RECON_PORT_OFFSET", "")
        if text.strip():
            return parse_port_offset(text.strip(), source="RECON_PORT_OFFSET")
        recorded = self.recorded_offset()
        if recorded is None:
            return 0
        self.offset_from_last_run = True
        return recorded

    def offset_file(self) -> Path:
        """Return the file that contains the port offset of the last `up`."""
        return self.run_dir / _OFFSET_FILE

    def recorded_offset(self) -> int | None:
        """Return the port offset of the last `up` on this data folder, if any."""
        path = self.offset_file()
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StackError(f"cannot read the port offset file {path}: {exc}") from exc
        return parse_port_offset(text.strip(), source=str(path))

    def url(self, service: str) -> str:
        """Return the HTTP base URL of a service."""
        return f"http://127.0.0.1:{self.ports.of(service)}"

    def service_headers(self) -> dict[str, str]:
        """Return the headers that authenticate a call to a service's internal API."""
        return {"Authorization": f"Bearer {SERVICE_TOKEN}"}

    def service_dir(self, service: str) -> Path:
        """Return the folder that contains a service's database and files."""
        return self.data_dir / service

    def sftp_users_file(self) -> Path:
        """Return the ingest service's SFTP users file (`INGEST_SFTP_USERS_FILE`)."""
        return self.service_dir("ingest") / "sftp-users.yaml"

    def sftp_host_key(self) -> Path:
        """Return the ingest service's SFTP host key (`INGEST_SFTP_HOST_KEY`)."""
        return self.service_dir("ingest") / "sftp-host-key"

    def sftp_known_hosts_file(self) -> Path:
        """Return the OpenSSH known_hosts file that pins the SFTP host key."""
        return self.service_dir("ingest") / "known_hosts"

    def write_sftp_known_hosts(self) -> Path:
        """Write the known_hosts file from the host key that ingest uses, and return it.

        The entry names `[127.0.0.1]:<port>`, the form OpenSSH looks up for a server
        on a port other than 22, so the file must be written again when the port
        offset changes. Raise `StackError` when the host key cannot be read.
        """
        try:
            host_key = asyncssh.read_private_key(self.sftp_host_key())
        except (OSError, asyncssh.KeyImportError) as exc:
            raise StackError(
                f"cannot read the SFTP host key {self.sftp_host_key()}: {exc}; the "
                "ingest service creates it on start, see "
                f"{self.logs_dir / 'ingest.log'}"
            ) from exc
        public_key = host_key.export_public_key().decode().strip()
        path = self.sftp_known_hosts_file()
        path.write_text(f"[127.0.0.1]:{self.ports.of('sftp')} {public_key}\n")
        return path

    def sftp_root(self) -> Path:
        """Return the SFTP root, which contains the home folder of each user."""
        return self.service_dir("ingest") / "sftp"

    def environment(self, service: str, *, bootstrap: str) -> dict[str, str]:
        """Return the environment variables that configure a service locally."""
        prefix = f"{service.upper()}_"
        home = self.service_dir(service)
        values = {
            "ENVIRONMENT": "development",
            "BANK_ID": BANK_ID,
            "DATABASE_URL": self.database_urls.get(
                service, f"sqlite+aiosqlite:///{home / (service + '.db')}"
            ),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_TOPIC_PREFIX": self.topic_prefix,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.ports.of(service)),
            "KEYVAULT_URL": self.url("keyvault"),
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "LOG_FORMAT": "json",
        }
        if service == "ingest":
            values |= {
                "SFTP_PORT": str(self.ports.of("sftp")),
                "SFTP_ROOT": str(self.sftp_root()),
                "SFTP_USERS_FILE": str(self.sftp_users_file()),
                "SFTP_HOST_KEY": str(self.sftp_host_key()),
                "STORAGE_PATH": str(home / "objects"),
            }
        elif service == "matcher":
            values["DEFINITIONS_FILE"] = str(home / "reconciliations.yaml")
        elif service == "keyvault":
            values["KEYRING_PATH"] = str(home / "keyring")
        elif service == "audit":
            values["SEAL_STORAGE_PATH"] = str(home / "segments")
        elif service == "reporting":
            values["USERS_FILE"] = str(home / "users.yaml")
            values["MATCHER_URL"] = self.url("matcher")
        values |= self.extra_env.get(service, {})
        env = dict(os.environ)
        env |= {prefix + key: value for key, value in values.items()}
        return env

    def pid_file(self, service: str) -> Path:
        """Return the file that contains a service's process id."""
        return self.run_dir / f"{service}.pid"

    def running_pid(self, service: str) -> int | None:
        """Return the process id of a running service, if it runs."""
        try:
            pid = int(self.pid_file(service).read_text())
        except (OSError, ValueError):
            return None
        return pid if process_is_alive(pid) else None

    def broker(self) -> KafkaBroker | None:
        """Return the running Kafka broker of this stack, if any."""
        return KafkaBroker.find_running(self.kafka_dir)

    def check_ports_free(
        self, names: Sequence[str] | None = None, *, stack_running: bool = False
    ) -> None:
        """Raise if a port that the stack needs is taken by another program.

        `names` are the services to check, by default every service, the SFTP
        server and the broker. Pass `stack_running=True` when other parts of the
        stack already run, so the error names `recon down` as the step before a new
        offset.
        """
        if names is None:
            names = [*SERVICE_ORDER, "sftp"]
            if self.kafka_bootstrap is None:
                names = [*names, "kafka"]
        if stack_running:
            fix = (
                "run `recon down` and start the platform on other ports with "
                "RECON_PORT_OFFSET=100"
            )
        else:
            fix = "shift every port of the platform with RECON_PORT_OFFSET=100"
        for name in names:
            port = self.ports.of(name)
            if not port_is_free(port):
                raise StackError(
                    f"port {port} ({name}) is in use by another program; stop it, or "
                    f"{fix}"
                )

    def up(self, *, progress: Callable[[str], None]) -> None:
        """Start the broker and the services that are not running, and wait for them.

        Services that already run from this data folder are left alone, and so is
        the broker. Raise `StackError` when they run on another port offset than
        this stack's, because the services started now could not reach them.
        """
        running = [name for name in SERVICE_ORDER if self.running_pid(name)]
        broker = self.broker() if self.kafka_bootstrap is None else None
        if running or broker is not None:
            self._check_running_offset(running, broker_runs=broker is not None)
        stopped = [name for name in SERVICE_ORDER if name not in running]
        start_broker = self.kafka_bootstrap is None and broker is None
        if not stopped and not start_broker:
            progress(
                f"the platform already runs from {self.data_dir} on port offset "
                f"{self.ports.offset}; nothing to start"
            )
            self.write_sftp_known_hosts()
            return

        names = list(stopped)
        if "ingest" in stopped:
            names.append("sftp")
        if start_broker:
            names.append("kafka")
        self.check_ports_free(names, stack_running=bool(running) or broker is not None)
        for folder in (self.logs_dir, self.run_dir, self.kafka_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.offset_file().write_text(f"{self.ports.offset}\n")

        bootstrap = self._start_broker(broker, progress=progress)
        if running:
            progress(f"already running: {', '.join(running)}")
        # Started together because each spends seconds importing and migrating;
        # none needs another to be ready before it starts.
        for service in stopped:
            self._spawn_service(service, bootstrap=bootstrap)
        pronoun = "it is" if len(stopped) == 1 else "they are"
        progress(f"started {', '.join(stopped)}; waiting until {pronoun} ready")
        self.wait_until_ready(stopped, progress=progress, timeout_s=180.0)
        self.write_sftp_known_hosts()

    def _check_running_offset(
        self, running: Sequence[str], *, broker_runs: bool
    ) -> None:
        """Raise `StackError` if the running parts use another port offset."""
        # NOTE: without the offset file (deleted by hand) the running parts'
        # offset is unknown, so this check passes and the stack's offset is used.
        recorded = self.recorded_offset()
        if recorded is None or recorded == self.ports.offset:
            return
        parts = ["Kafka"] if broker_runs else []
        parts += running
        raise StackError(
            f"the platform already runs from {self.data_dir} on port offset "
            f"{recorded} ({', '.join(parts)} running), not on the requested port "
            f"offset {self.ports.offset}. To keep the running services and start any "
            f"stopped ones, set RECON_PORT_OFFSET={recorded} or unset it. To move the "
            f"platform to port offset {self.ports.offset}, run `recon down` first, "
            "then `recon up` again"
        )

    def _start_broker(
        self, broker: KafkaBroker | None, *, progress: Callable[[str], None]
    ) -> str:
        """Return the bootstrap address, and start this stack's broker if needed."""
        if self.kafka_bootstrap is not None:
            return self.kafka_bootstrap
        if broker is not None:
            progress(f"Kafka already running on {broker.bootstrap_servers}")
        else:
            progress(
                "starting Kafka (Maven downloads the broker first if it is not cached)"
            )
            broker = KafkaBroker(self.kafka_dir, port=self.ports.of("kafka"))
            broker.start(timeout_s=120.0)
            progress(f"Kafka ready on {broker.bootstrap_servers}")
        self.kafka_bootstrap = broker.bootstrap_servers
        return self.kafka_bootstrap

    def start_service(self, service: str, *, timeout_s: float = 120.0) -> None:
        """Start one service in the background and wait until it is ready."""
        self._spawn_service(service, bootstrap=self._bootstrap())
        self._wait_ready(service, timeout_s=timeout_s)
        if service == "ingest":
            self.write_sftp_known_hosts()

    def kill_service(self, service: str) -> None:
        """End a service at once with SIGKILL, as a crash would."""
        pid = self.running_pid(service)
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        while process_is_alive(pid):
            time.sleep(0.05)
        self._reap(service)
        self.pid_file(service).unlink(missing_ok=True)

    def _reap(self, service: str) -> None:
        process = self._processes.pop(service, None)
        if process is not None:
            process.wait(timeout=10)

    def _bootstrap(self) -> str:
        if self.kafka_bootstrap is not None:
            return self.kafka_bootstrap
        broker = self.broker()
        if broker is None:
            raise StackError("Kafka is not running; start the platform with `recon up`")
        self.kafka_bootstrap = broker.bootstrap_servers
        return self.kafka_bootstrap

    def _spawn_service(self, service: str, *, bootstrap: str) -> None:
        for folder in (self.service_dir(service), self.logs_dir, self.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
        executable = Path(sys.executable).parent / f"recon-{service}"
        log_path = self.logs_dir / f"{service}.log"
        with log_path.open("ab") as log_file:
            self._log_starts[service] = log_file.tell()
            process = subprocess.Popen(  # noqa: S603 - our own console script
                [str(executable), "serve"],
                cwd=self.service_dir(service),
                env=self.environment(service, bootstrap=bootstrap),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._processes[service] = process
        self.pid_file(service).write_text(str(process.pid))

    def _wait_ready(self, service: str, *, timeout_s: float) -> None:
        self.wait_until_ready([service], progress=None, timeout_s=timeout_s)

    def wait_until_ready(
        self,
        services: Sequence[str],
        *,
        progress: Callable[[str], None] | None,
        timeout_s: float,
    ) -> None:
        """Poll `/readyz` of each service and report each one as it becomes ready.

        Raise `StackError` when a service exits, or when one is not ready within
        `timeout_s` seconds. Every `PROGRESS_INTERVAL_S` seconds `progress` also
        gets the services still waited for.
        """
        started = time.monotonic()
        deadline = started + timeout_s
        next_report = started + PROGRESS_INTERVAL_S
        waiting = list(services)
        last_answer = dict.fromkeys(waiting, "no answer yet")
        while True:
            for service in list(waiting):
                answer = self._readiness(service)
                if answer is not None:
                    last_answer[service] = answer
                    continue
                waiting.remove(service)
                if progress is not None:
                    elapsed = time.monotonic() - started
                    progress(
                        f"{service} ready on {self.url(service)} after {elapsed:.1f} s"
                    )
            if not waiting:
                return
            now = time.monotonic()
            if now >= deadline:
                answers = "; ".join(
                    f"{service}: {last_answer[service]}" for service in waiting
                )
                logs = ", ".join(str(self.logs_dir / f"{name}.log") for name in waiting)
                raise StackError(
                    f"{', '.join(waiting)} not ready after {timeout_s:.0f} s "
                    f"({answers}); see {logs}"
                )
            if progress is not None and now >= next_report:
                progress(f"still waiting for {', '.join(waiting)}")
                next_report = now + PROGRESS_INTERVAL_S
            time.sleep(0.5)

    def _readiness(self, service: str) -> str | None:
        """Return None when the service is ready, else why it is not ready yet."""
        if self.running_pid(service) is None:
            log_path = self.logs_dir / (service + ".log")
            error = last_exception(log_path, start=self._log_starts.get(service, 0))
            cause = f":\n{error}\n" if error else "; "
            raise StackError(
                f"{service} exited during start-up{cause}see {log_path}. The other "
                "services keep running: fix the cause, then run `recon up` again, "
                "which starts only the services that are not running"
            )
        try:
            response = httpx.get(f"{self.url(service)}/readyz", timeout=2.0)
        except httpx.HTTPError as exc:
            return str(exc) or type(exc).__name__
        if response.status_code == 200:
            return None
        return f"HTTP {response.status_code} {response.text[:300]}"

    def down(self, *, progress: Callable[[str], None]) -> None:
        """Stop every service, then the broker."""
        for service in reversed(SERVICE_ORDER):
            pid = self.running_pid(service)
            if pid is None:
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 20.0
            while process_is_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if process_is_alive(pid):
                os.kill(pid, signal.SIGKILL)
            self._reap(service)
            self.pid_file(service).unlink(missing_ok=True)
            progress(f"{service} stopped")
        broker = self.broker()
        if broker is not None:
            broker.stop()
            progress("Kafka stopped")
        # Another stack object in this process may have stopped services that this
        # one started. Waiting for them here leaves no zombie processes behind.
        for service, process in list(self._processes.items()):
            if process.poll() is not None:
                del self._processes[service]

    def status(self) -> dict[str, str]:
        """Return the state of the broker and of every service."""
        states: dict[str, str] = {}
        broker = self.broker()
        states["kafka"] = (
            f"running on {broker.bootstrap_servers}" if broker else "stopped"
        )
        for service in SERVICE_ORDER:
            if self.running_pid(service) is None:
                states[service] = "stopped"
                continue
            try:
                response = httpx.get(f"{self.url(service)}/readyz", timeout=3.0)
                ready = "ready" if response.status_code == 200 else "not ready"
            except httpx.HTTPError:
                ready = "not answering"
            states[service] = f"{ready} on {self.url(service)}"
        return states


class Progress:
    """Print progress lines with the time since the command started."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self._started
        print(f"[{elapsed:6.1f}s] {message}", flush=True)
