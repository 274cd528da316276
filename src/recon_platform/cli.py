"""`recon`: run the platform on one machine and send a demo day through it."""

import argparse
import os
import shlex
import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import yaml
from recon_common.logging import configure_logging
from recon_common.settings import LogFormat

from recon_platform import demo
from recon_platform.stack import (
    SERVICE_ORDER,
    LocalStack,
    Ports,
    Progress,
    StackError,
)

# 128 + SIGPIPE (13): what a shell reports for a command that SIGPIPE ends.
EXIT_STDOUT_CLOSED = 141


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir or os.environ.get("RECON_DATA_DIR", ".data"))


def open_stack(args: argparse.Namespace) -> LocalStack:
    """Create the stack of the data folder, noting an offset read from the last run.

    The note goes to standard error, so the output of `recon status` stays the same
    whichever way the offset was chosen.
    """
    stack = LocalStack(_data_dir(args))
    if stack.offset_from_last_run and stack.ports.offset:
        print(
            f"using port offset {stack.ports.offset} from the last run of "
            f"{stack.data_dir} (set RECON_PORT_OFFSET to change it)",
            file=sys.stderr,
            flush=True,
        )
    return stack


def cmd_run(args: argparse.Namespace) -> int:
    """Start from an empty data folder, run the demo day and print the summary."""
    progress = Progress()
    stack = open_stack(args)
    if stack.broker() is not None or any(
        stack.running_pid(service) for service in ("ingest", "matcher", "reporting")
    ):
        print(
            f"error: the platform already runs from {stack.data_dir}; stop it with "
            "`recon down` first",
            file=sys.stderr,
        )
        return 1
    if stack.data_dir.exists() and not args.keep_data:
        shutil.rmtree(stack.data_dir)
        progress(f"cleared the data folder {stack.data_dir}")
    day = demo.prepare(stack, progress=progress)
    stack.up(progress=progress)
    started = time.monotonic()
    demo.run_upload(stack, day, progress=progress)
    summary = demo.wait_for_results(stack, day, progress=progress)
    _print_summary(summary, seconds=time.monotonic() - started)
    _print_access(stack, data_dir_option=args.data_dir)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start the broker and the services that are not running on the data folder."""
    stack = open_stack(args)
    stack.up(progress=Progress())
    print()
    _print_access(stack, data_dir_option=args.data_dir)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Send the demo day through a running platform and print the summary."""
    progress = Progress()
    stack = open_stack(args)
    if stack.running_pid("ingest") is None:
        print(
            "error: the platform is not running; start it with `recon up`",
            file=sys.stderr,
        )
        return 1
    landed = httpx.get(
        f"{stack.url('ingest')}/v1/files?limit=1",
        headers=stack.service_headers(),
        timeout=10.0,
    )
    if landed.status_code != 200:
        print(
            f"error: listing the landed files failed with HTTP {landed.status_code}: "
            f"{landed.text[:300]}",
            file=sys.stderr,
        )
        return 1
    total = landed.json()["total"]
    if total:
        print(
            f"error: the platform already holds {total} files, and the demo day would "
            "send the same files again, which are rejected as duplicates; run "
            "`recon down` and `recon run` to start from an empty data folder",
            file=sys.stderr,
        )
        return 1
    day = demo.prepare(stack, progress=progress)
    try:
        demo.save_definitions(stack, day, progress=progress)
    except demo.DemoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    started = time.monotonic()
    demo.run_upload(stack, day, progress=progress)
    summary = demo.wait_for_results(stack, day, progress=progress)
    _print_summary(summary, seconds=time.monotonic() - started)
    _print_access(stack, data_dir_option=args.data_dir)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print the state of every component and, if reachable, the totals."""
    stack = open_stack(args)
    states = stack.status()
    for name, state in states.items():
        print(f"{name:10} {state}")
    if all(state == "stopped" for state in states.values()):
        # Exit status 3 means "not running", as for init scripts.
        return 3
    if stack.running_pid("ingest") is not None:
        print()
        for line in sftp_lines(stack):
            print(line)
    if stack.running_pid("reporting") is not None:
        try:
            summary = demo.fetch_summary(stack)
        except (httpx.HTTPError, OSError) as exc:
            print(f"summary unavailable: {exc}")
            return 0
        print()
        _print_totals(summary)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop the services and the broker."""
    stack = open_stack(args)
    stack.down(progress=Progress())
    return 0


def _print_totals(summary: dict[str, Any]) -> None:
    rate = summary.get("auto_match_rate")
    rate_text = f"{float(rate) * 100:.1f} %" if rate is not None else "n/a"
    rows = [
        ("files", f"{summary['files']} ({summary.get('files_rejected', 0)} rejected)"),
        ("transactions", str(summary["transactions"])),
        ("matched", str(summary["matched"])),
        ("open breaks", str(summary["open_breaks"])),
        ("auto-match rate", rate_text),
    ]
    for label, value in rows:
        print(f"  {label:16} {value}")


def _print_summary(summary: dict[str, Any], *, seconds: float) -> None:
    print()
    print(f"Demo day reconciled in {seconds:.0f} s")
    _print_totals(summary)
    print()


def _print_access(stack: LocalStack, *, data_dir_option: str | None) -> None:
    password_file = stack.service_dir("reporting") / "initial-password.txt"
    print(f"Web pages: {stack.url('reporting')}/")
    if password_file.exists():
        user, _ = demo.reporting_credentials(stack)
        print(f"  log in as {user!r}; the password is in {password_file}")
    for line in sftp_lines(stack):
        print(line)
    status = recon_command("status", stack=stack, data_dir_option=data_dir_option)
    down = recon_command("down", stack=stack, data_dir_option=data_dir_option)
    print(f"Show the state with: {status}")
    print(f"Stop everything with: {down}")


def recon_command(
    subcommand: str, *, stack: LocalStack, data_dir_option: str | None
) -> str:
    """Return the shell command that runs `recon <subcommand>` on the same stack.

    It repeats the data folder when it differs from the default, because `recon
    status` and `recon down` need it to find the stack. It also repeats a port offset
    other than 0, which those commands would otherwise read from the data folder,
    so the printed command shows which ports it uses.
    """
    words: list[str] = []
    if stack.ports.offset:
        words.append(f"RECON_PORT_OFFSET={stack.ports.offset}")
    environment_dir = os.environ.get("RECON_DATA_DIR")
    if data_dir_option is None and environment_dir:
        words.append(f"RECON_DATA_DIR={shlex.quote(environment_dir)}")
    words.append(".venv/bin/recon")
    if data_dir_option is not None:
        words += ["--data-dir", shlex.quote(data_dir_option)]
    words.append(subcommand)
    return " ".join(words)


def sftp_lines(stack: LocalStack) -> list[str]:
    """Return the SFTP address, host key, users file, users and upload folder as lines.

    The example command pins the host key with the stack's known_hosts file, so it
    works without a terminal and never prompts the user to accept a key.
    """
    port = stack.ports.of("sftp")
    users_file = stack.sftp_users_file()
    users = _sftp_usernames(users_file)
    lines = [f"SFTP: host 127.0.0.1, port {port}"]
    fingerprint = _host_key_fingerprint(stack.sftp_host_key())
    if fingerprint is not None:
        lines.append(f"  host key fingerprint: {fingerprint}")
    lines.append(
        f"  users file: {users_file} (re-read when it changes; see docs/ingest.md)"
    )
    if users:
        lines.append(f"  users: {', '.join(users)}")
    lines.append(
        "  upload into the user's home folder, where the session starts "
        f"({stack.sftp_root() / 'home' / '<user>'} on disk)"
    )
    key = demo.sftp_key_path(stack)
    known_hosts = stack.sftp_known_hosts_file()
    if users and key.exists() and known_hosts.exists():
        command = sftp_command(
            port=port, known_hosts=known_hosts, key=key, username=users[0]
        )
        lines.append(f"  for example: {command}")
    return lines


def sftp_command(port: int, *, known_hosts: Path, key: Path, username: str) -> str:
    """Return the OpenSSH `sftp` command that logs in to the local SFTP server."""
    words = [
        "sftp",
        "-P",
        str(port),
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-i",
        str(key),
        f"{username}@127.0.0.1",
    ]
    return shlex.join(words)


def _host_key_fingerprint(path: Path) -> str | None:
    # The ingest service creates the key on its first start, so it may not exist yet.
    try:
        key = asyncssh.read_private_key(path)
    except (OSError, asyncssh.KeyImportError):
        return None
    return f"{key.get_fingerprint('sha256')} ({key.get_algorithm()})"


def _sftp_usernames(path: Path) -> list[str]:
    # The ingest service validates this file. Here a file that cannot be read only
    # leaves out the user names.
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return []
    users = document.get("users") if isinstance(document, dict) else None
    if not isinstance(users, list):
        return []
    return [
        str(user["username"])
        for user in users
        if isinstance(user, dict) and "username" in user
    ]


def _help_epilog() -> str:
    ports = Ports()
    by_port = sorted((*SERVICE_ORDER, "sftp", "kafka"), key=ports.of)
    port_list = ", ".join(f"{name} {ports.of(name)}" for name in by_port)
    offset_help = textwrap.fill(
        f"add N to every port of the platform ({port_list}). Use it when a port "
        "is taken. Later recon commands on the same data folder use the offset "
        "of the last `recon up` when the variable is not set.",
        width=79,
        initial_indent="  RECON_PORT_OFFSET=N  ",
        subsequent_indent=" " * 23,
    )
    return f"""environment:
{offset_help}
  RECON_DATA_DIR=PATH  data folder, as --data-dir

logs:
  <data>/logs/<service>.log  each service's JSON log lines and crash output
  <data>/kafka/broker.log    the Kafka broker's log
  <data> is ./.data unless --data-dir or RECON_DATA_DIR names another folder.
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `recon`."""
    parser = argparse.ArgumentParser(
        prog="recon",
        description="Run the reconciliation platform on this machine.",
        epilog=_help_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        help="folder for databases, files, logs and the broker (default: "
        "$RECON_DATA_DIR or ./.data)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="clear the data folder, start everything, send the demo day and "
        "print the results",
    )
    run.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the data folder of an earlier run instead of clearing it",
    )
    run.set_defaults(handler=cmd_run)
    sub.add_parser(
        "up",
        help="start Kafka and the five services, or only those that are not running",
    ).set_defaults(handler=cmd_up)
    sub.add_parser(
        "demo",
        help="send the demo day through a running platform that contains no files",
    ).set_defaults(handler=cmd_demo)
    sub.add_parser(
        "status", help="show what runs and the totals; exit status 3 if nothing runs"
    ).set_defaults(handler=cmd_status)
    sub.add_parser("down", help="stop the services and Kafka").set_defaults(
        handler=cmd_down
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `recon` command line."""
    args = build_parser().parse_args(argv)
    # Progress lines are the command's output; library logs only when they warn.
    configure_logging(
        service="recon",
        log_format=LogFormat.CONSOLE,
        level="WARNING",
        stream=sys.stderr,
    )
    try:
        result: int = args.handler(args)
        sys.stdout.flush()
    except (StackError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of stdout closed early, as `recon status | head` does. Point
        # stdout at /dev/null so the flush at exit raises no second error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_STDOUT_CLOSED
    return result


if __name__ == "__main__":
    raise SystemExit(main())
