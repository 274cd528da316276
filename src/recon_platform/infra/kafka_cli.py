"""Command line for the local Kafka broker: fetch, start, stop and status.

Run it as `python -m recon_platform.infra.kafka_cli` or through `scripts/kafka-broker`.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from recon_platform.infra.kafka import (
    DEFAULT_HEAP_MB,
    DEFAULT_START_TIMEOUT_S,
    DEFAULT_VERSION,
    KafkaBroker,
    KafkaBrokerError,
    ensure_kafka_jars,
)


def _default_data_dir() -> Path:
    return Path(os.environ.get("RECON_DATA_DIR", ".data")) / "kafka"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kafka-broker",
        description=(
            "Fetch, start, stop or inspect the local single-node Kafka broker "
            "(KRaft mode, listening on 127.0.0.1)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser(
        "fetch", help="download the broker jars into the cache folder"
    )
    start = commands.add_parser(
        "start", help="start the broker in the background and wait until it is ready"
    )
    stop = commands.add_parser("stop", help="stop the broker that runs from --data-dir")
    status = commands.add_parser(
        "status", help="print the broker address; exit code 3 when it is not running"
    )
    for command in (fetch, start):
        command.add_argument(
            "--version",
            default=DEFAULT_VERSION,
            help="Apache Kafka version to fetch or run (default: %(default)s)",
        )
    for command in (start, stop, status):
        command.add_argument(
            "--data-dir",
            type=Path,
            default=_default_data_dir(),
            help=(
                "folder for the broker's configuration, data, logs and pid file "
                "(default: $RECON_DATA_DIR/kafka, or .data/kafka in the current folder)"
            ),
        )
    start.add_argument(
        "--port",
        type=int,
        default=0,
        help=(
            "TCP port of the client listener on 127.0.0.1; 0 reuses the previous "
            "port of this data folder when free, else picks a free one (default: 0)"
        ),
    )
    start.add_argument(
        "--heap-mb",
        type=int,
        default=DEFAULT_HEAP_MB,
        help="maximum JVM heap in MiB (default: %(default)s)",
    )
    start.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_START_TIMEOUT_S,
        help="seconds to wait for the broker to become ready (default: %(default)s)",
    )
    stop.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help=(
            "seconds to wait after SIGTERM before sending SIGKILL "
            "(default: %(default)s)"
        ),
    )
    return parser


def _print_running(broker: KafkaBroker) -> None:
    print(
        f"Kafka broker running: bootstrap_servers={broker.bootstrap_servers} "
        f"pid={broker.pid} data_dir={broker.data_dir}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the kafka-broker command line and return its exit code."""
    arguments = _build_parser().parse_args(argv)
    if arguments.command == "fetch":
        print(ensure_kafka_jars(arguments.version))
        return 0

    running = KafkaBroker.find_running(arguments.data_dir)
    if arguments.command == "status":
        if running is None:
            print(f"Kafka broker not running from {arguments.data_dir.resolve()}")
            return 3
        _print_running(running)
        return 0
    if arguments.command == "stop":
        if running is None:
            print(f"Kafka broker not running from {arguments.data_dir.resolve()}")
            return 0
        pid = running.pid
        running.stop(timeout_s=arguments.timeout)
        print(f"Kafka broker stopped (pid {pid})")
        return 0

    if running is not None:
        _print_running(running)
        return 0
    broker = KafkaBroker(
        arguments.data_dir,
        port=arguments.port,
        version=arguments.version,
        heap_mb=arguments.heap_mb,
    )
    try:
        broker.start(timeout_s=arguments.timeout)
    except KafkaBrokerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_running(broker)
    return 0


if __name__ == "__main__":
    sys.exit(main())
