"""Single-node Apache Kafka broker in KRaft mode, for the local platform and tests.

The broker runs from the Apache Kafka jars on Maven Central, which `ensure_kafka_jars`
fetches once with `mvn` into a cache folder. One JVM acts as both KRaft controller and
broker, and both listeners bind to 127.0.0.1 only. Everything a broker writes lives
under its data directory:

- `server.properties` and `log4j2.properties`: the configuration it was started with;
- `kraft/`: the KRaft metadata log and the topic partitions (`log.dirs`);
- `broker.log`: the broker's own log, rolled over at 10 MiB with 3 old files kept;
- `broker.out`: the JVM's standard output and error, where start-up failures show;
- `format.out`: the output of formatting the storage on the first start;
- `broker.pid`: the process id while the broker runs.

The pid file lets a later command find and stop a broker that an earlier command
started. Because the kernel reuses process ids, `KafkaBroker.find_running` also checks
that the process's command line names this data directory's `server.properties`
before it treats the process as the broker.

Kafka 4.3.2 is the default because aiokafka 0.14 produces, consumes and commits group
offsets against it (tests/infra/test_kafka_broker.py checks that). Kafka 4.0 removed
the oldest protocol versions, so an older aiokafka may fail against it.
"""

import asyncio
import base64
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, Self

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaError,
    TopicAlreadyExistsError,
    for_code,
)

from recon_platform.infra.kafka_jars import (
    DEFAULT_VERSION,
    KafkaBrokerError,
    cache_root,
    ensure_kafka_jars,
)
from recon_platform.infra.processes import (
    LOOPBACK,
    pick_free_ports,
    port_is_free,
    process_arguments,
    process_is_alive,
    run_in_new_loop,
    tail_file,
)

__all__ = [
    "DEFAULT_HEAP_MB",
    "DEFAULT_MESSAGE_MAX_BYTES",
    "DEFAULT_START_TIMEOUT_S",
    "DEFAULT_VERSION",
    "KafkaBroker",
    "KafkaBrokerError",
    "cache_root",
    "create_topics",
    "ensure_kafka_jars",
]

log = structlog.get_logger(__name__)

DEFAULT_HEAP_MB: Final = 512
# Kafka's default message.max.bytes is about 1 MiB. The local broker accepts 10 MiB,
# and producers must raise max_request_size to send messages that large.
DEFAULT_MESSAGE_MAX_BYTES: Final = 10 * 1024 * 1024
# Start-up to ready took 3 to 5 s on an idle 2-core machine and 23 s while other
# test suites kept both cores busy, so the default leaves room for a loaded machine.
DEFAULT_START_TIMEOUT_S: Final = 120.0

_LOG4J_TEMPLATE: Final = """status = warn
shutdownHook = disable
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.filePattern = {log_file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = FILE
"""


def _find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and Path(java_home, "bin", "java").is_file():
        return str(Path(java_home, "bin", "java"))
    java = shutil.which("java")
    if java is None:
        raise KafkaBrokerError(
            "java not found on PATH or in $JAVA_HOME: Kafka needs Java 17 or newer "
            "(apt-get install -y openjdk-17-jre-headless)"
        )
    return java


def _read_listener_ports(server_properties: Path) -> tuple[int, int] | None:
    try:
        text = server_properties.read_text()
    except OSError:
        return None
    broker = re.search(r"^listeners=.*PLAINTEXT://[\d.]+:(\d+)", text, re.MULTILINE)
    controller = re.search(
        r"^listeners=.*CONTROLLER://[\d.]+:(\d+)", text, re.MULTILINE
    )
    if broker is None or controller is None:
        return None
    return int(broker.group(1)), int(controller.group(1))


def _is_broker_process(pid: int, server_properties: Path) -> bool:
    arguments = process_arguments(pid)
    return b"kafka.Kafka" in arguments and str(server_properties).encode() in arguments


def _startup_errors(log_file: Path, output_file: Path, limit: int = 3) -> str:
    """Return the first ERROR entries of the broker log, each with its exception line.

    Falls back to the tail of the JVM output, where a JVM that failed before log4j
    started (for example on a bad option) leaves its message.
    """
    try:
        lines = log_file.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    errors: list[str] = []
    for index, line in enumerate(lines):
        if "] ERROR " not in line and "] FATAL " not in line:
            continue
        errors.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if following and not following.startswith(("[", "\t")):
            errors.append(following)
        if len(errors) >= 2 * limit:
            break
    return "\n".join(errors) if errors else tail_file(output_file)


class KafkaBroker:
    """A single-node Kafka broker in KRaft mode whose listeners bind to 127.0.0.1.

    Call `start` to format the storage if needed and run the broker in the background,
    and `stop` to end it. The process outlives this object, so a later command can
    use `find_running` to reach a broker that an earlier one started.
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        port: int = 0,
        version: str = DEFAULT_VERSION,
        heap_mb: int = DEFAULT_HEAP_MB,
        message_max_bytes: int = DEFAULT_MESSAGE_MAX_BYTES,
        extra_properties: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.version = version
        self.heap_mb = heap_mb
        self.message_max_bytes = message_max_bytes
        self.extra_properties = dict(extra_properties or {})
        self._requested_port = port
        self._port: int | None = port or None
        self._controller_port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    @property
    def server_properties(self) -> Path:
        """Path of the broker configuration file."""
        return self.data_dir / "server.properties"

    @property
    def pid_file(self) -> Path:
        """Path of the file that contains the broker's process id while it runs."""
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        """Path of the broker's log."""
        return self.data_dir / "broker.log"

    @property
    def output_file(self) -> Path:
        """Path of the file that receives the JVM's standard output and error."""
        return self.data_dir / "broker.out"

    @property
    def port(self) -> int:
        """Port of the PLAINTEXT listener on 127.0.0.1."""
        if self._port is None:
            raise KafkaBrokerError(
                "the broker port is chosen by start(): call it first"
            )
        return self._port

    @property
    def bootstrap_servers(self) -> str:
        """Address for the bootstrap_servers setting of Kafka clients."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the broker JVM, or None before start and after stop."""
        return self._pid

    @classmethod
    def find_running(cls, data_dir: Path | str) -> Self | None:
        """Return the broker running from data_dir, or None if none runs there."""
        broker = cls(data_dir)
        try:
            pid = int(broker.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        ports = _read_listener_ports(broker.server_properties)
        if ports is None or not process_is_alive(pid):
            return None
        if not _is_broker_process(pid, broker.server_properties):
            return None
        broker._pid = pid
        broker._port, broker._controller_port = ports
        return broker

    def is_running(self) -> bool:
        """Return whether the broker process is alive."""
        return self._pid is not None and process_is_alive(self._pid)

    def start(self, *, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> None:
        """Start the broker in the background and wait until it serves metadata.

        The call blocks for seconds, so async code should run it in a worker thread
        (`await asyncio.to_thread(broker.start)`).
        """
        running = self.find_running(self.data_dir)
        if running is not None:
            raise KafkaBrokerError(
                f"a Kafka broker (pid {running.pid}) already runs from {self.data_dir} "
                f"on {running.bootstrap_servers}: stop it first"
            )
        libs_dir = ensure_kafka_jars(self.version)
        java = _find_java()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._choose_ports()
        self._write_config()
        self._format_storage(java, libs_dir)
        self._spawn(java, libs_dir)
        try:
            run_in_new_loop(self.wait_ready(timeout_s))
        except BaseException:
            self.stop()
            raise

    async def wait_ready(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> None:
        """Wait until the broker lists itself in a metadata response."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self._pid is not None and not process_is_alive(self._pid):
                raise KafkaBrokerError(
                    f"Kafka broker (pid {self._pid}) exited during start-up:\n"
                    f"{_startup_errors(self.log_file, self.output_file)}\n"
                    f"Full log: {self.log_file}"
                )
            if await self._metadata_lists_broker():
                return
            if time.monotonic() >= deadline:
                raise KafkaBrokerError(
                    f"Kafka broker on {self.bootstrap_servers} not ready after "
                    f"{timeout_s:.0f} s; see {self.log_file}"
                )
            await asyncio.sleep(0.25)

    async def _metadata_lists_broker(self) -> bool:
        # A plain TCP connect first: aiokafka logs an error for every refused
        # bootstrap connection, which would flood the log during start-up.
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(LOOPBACK, self.port), timeout=1.0
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        await writer.wait_closed()

        # A local broker returns metadata within milliseconds. The overall bound
        # also cuts short aiokafka's retries against some other server on the port.
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000
        )
        try:
            async with asyncio.timeout(3.0):
                await admin.start()
                cluster = await admin.describe_cluster()
        except (KafkaError, OSError, TimeoutError):
            return False
        finally:
            await admin.close()
        return bool(cluster.get("brokers"))

    def stop(self, *, timeout_s: float = 30.0) -> None:
        """Stop the broker with SIGTERM, and with SIGKILL after timeout_s seconds."""
        pid = self._pid
        if pid is None:
            return
        if process_is_alive(pid):
            log.info("kafka.broker.stopping", pid=pid, data_dir=str(self.data_dir))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_exit(pid, timeout_s):
                log.warning("kafka.broker.stop_timed_out", pid=pid, timeout_s=timeout_s)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if not self._wait_exit(pid, 10.0):
                    raise KafkaBrokerError(
                        f"Kafka broker (pid {pid}) still runs 10 s after SIGKILL"
                    )
        if self._process is not None:
            # Reap a broker that exited by itself, so no zombie is left behind.
            self._process.wait(timeout=10.0)
        self.pid_file.unlink(missing_ok=True)
        self._pid = None
        self._process = None
        log.info("kafka.broker.stopped", pid=pid, data_dir=str(self.data_dir))

    def _wait_exit(self, pid: int, timeout_s: float) -> bool:
        if self._process is not None:
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                return False
            return True
        # A broker started by another process is not our child, so poll /proc.
        deadline = time.monotonic() + timeout_s
        while process_is_alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def _choose_ports(self) -> None:
        previous = _read_listener_ports(self.server_properties)
        if self._requested_port:
            if not port_is_free(self._requested_port):
                raise KafkaBrokerError(
                    f"port {self._requested_port} on {LOOPBACK} is already in use: "
                    "choose another port, or 0 to pick a free one"
                )
            self._port = self._requested_port
            if previous and previous[1] != self._port and port_is_free(previous[1]):
                self._controller_port = previous[1]
            else:
                self._controller_port = next(
                    port for port in pick_free_ports(2) if port != self._port
                )
            return
        # Reusing the ports of the previous run keeps a local platform's clients
        # pointed at the same address across restarts.
        if previous and all(port_is_free(port) for port in previous):
            self._port, self._controller_port = previous
            return
        self._port, self._controller_port = pick_free_ports(2)

    def _write_config(self) -> None:
        properties = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{LOOPBACK}:{self._controller_port}",
            "listeners": (
                f"PLAINTEXT://{LOOPBACK}:{self._port},"
                f"CONTROLLER://{LOOPBACK}:{self._controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{self._port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": (
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
            ),
            "log.dirs": str(self.data_dir / "kraft"),
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
            "message.max.bytes": str(self.message_max_bytes),
        }
        properties.update(self.extra_properties)
        lines = [f"# Kafka {self.version} single-node KRaft broker on {LOOPBACK}"]
        lines += [f"{key}={value}" for key, value in properties.items()]
        self.server_properties.write_text("\n".join(lines) + "\n")
        log4j = _LOG4J_TEMPLATE.format(log_file=self.log_file)
        (self.data_dir / "log4j2.properties").write_text(log4j)

    def _java_options(self, heap_mb: int) -> list[str]:
        log4j = self.data_dir / "log4j2.properties"
        return [
            f"-Xmx{heap_mb}m",
            f"-Xms{min(heap_mb, 128)}m",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
        ]

    def _format_storage(self, java: str, libs_dir: Path) -> None:
        if (self.data_dir / "kraft" / "meta.properties").is_file():
            return
        cluster_id = new_cluster_id()
        command = [
            java,
            *self._java_options(256),
            "-cp",
            f"{libs_dir}/*",
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "--config",
            str(self.server_properties),
        ]
        format_output = self.data_dir / "format.out"
        with format_output.open("ab") as output:
            result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if result.returncode != 0:
            raise KafkaBrokerError(
                f"formatting Kafka storage in {self.data_dir / 'kraft'} failed with "
                f"exit code {result.returncode}:\n{tail_file(format_output)}"
            )
        log.info("kafka.storage.formatted", data_dir=str(self.data_dir))

    def _spawn(self, java: str, libs_dir: Path) -> None:
        command = [
            java,
            *self._java_options(self.heap_mb),
            "-cp",
            f"{libs_dir}/*",
            "kafka.Kafka",
            str(self.server_properties),
        ]
        with self.output_file.open("ab") as output:
            # A new session keeps a Ctrl-C in the launching terminal from reaching
            # the broker, so a broker started by the command line keeps running.
            self._process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self._pid = self._process.pid
        self.pid_file.write_text(f"{self._pid}\n")
        log.info(
            "kafka.broker.started",
            pid=self._pid,
            bootstrap_servers=self.bootstrap_servers,
            data_dir=str(self.data_dir),
            version=self.version,
        )

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def new_cluster_id() -> str:
    """Return a random KRaft cluster id: a UUID in unpadded URL-safe base64."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # StorageTool's argument parser reads an id that starts with "-" as an option
        # and fails with "expected one argument", which hit 1 in 64 formats.
        if not cluster_id.startswith("-"):
            return cluster_id


async def create_topics(
    bootstrap_servers: str,
    names: Sequence[str],
    *,
    partitions: int = 1,
    replication_factor: int = 1,
    configs: Mapping[str, str] | None = None,
    timeout_ms: int = 30_000,
) -> None:
    """Create the named topics, accepting those that already exist."""
    new_topics = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            topic_configs=dict(configs or {}),
        )
        for name in names
    ]
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=timeout_ms
    )
    try:
        await admin.start()
        response = await admin.create_topics(new_topics, timeout_ms=timeout_ms)
    finally:
        await admin.close()
    # CreateTopics v1 and later add an error message after (topic, error_code).
    for topic, error_code, *details in response.topic_errors:
        if error_code in (0, TopicAlreadyExistsError.errno):
            continue
        error_class = for_code(error_code)
        reason = details[0] if details and details[0] else error_class.description
        raise error_class(f"creating topic {topic!r} failed: {reason}")
