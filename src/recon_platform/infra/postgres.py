"""PostgreSQL 15 from Debian's packages, with a role and a database for tests.

`ensure_postgres` installs the `postgresql-15` package when it is missing, starts the
`15 main` cluster with `pg_ctlcluster`, and creates a login role and a database for
it. Installing, starting the cluster and creating the role need root, because the
role is created as the `postgres` superuser through `runuser`. When the role can
already log in, `ensure_postgres` skips that step, so a user without root can call it
against a running cluster.

The role is a superuser so that tests can create and drop a database each. Its
password is fixed, so it is safe only because Debian's default configuration listens
on localhost alone.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import structlog
from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from recon_platform.infra.processes import LOOPBACK, tail_lines

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_PASSWORD",
    "DEFAULT_ROLE",
    "PostgresError",
    "create_database",
    "database_url",
    "drop_database",
    "ensure_postgres",
    "main",
    "stop_postgres",
]

log = structlog.get_logger(__name__)

PG_VERSION: Final = "15"
CLUSTER_NAME: Final = "main"
DEFAULT_PORT: Final = 5432
DEFAULT_ROLE: Final = "recon"
DEFAULT_PASSWORD: Final = "recon"  # noqa: S105 - test role, reachable on loopback only
DEFAULT_DATABASE: Final = "recon"
_SERVER_BINARY: Final = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin/postgres")
# Lower-case names need no quoting in psql or SQL, and PostgreSQL truncates
# identifiers longer than 63 bytes.
_IDENTIFIER: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# psql expands :'name' to a quoted literal, and format() with %I and %L quotes the
# identifiers and the password, so no value is pasted into SQL unquoted.
_CREATE_ROLE_SQL: Final = """\
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN SUPERUSER PASSWORD %L', :'role', :'password')
\\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
"""


class PostgresError(RuntimeError):
    """Installing, starting or preparing the PostgreSQL cluster failed."""


def database_url(
    *,
    role: str = DEFAULT_ROLE,
    password: str = DEFAULT_PASSWORD,
    database: str = DEFAULT_DATABASE,
    port: int = DEFAULT_PORT,
) -> str:
    """Return the SQLAlchemy asyncpg URL of a database on 127.0.0.1."""
    url = URL.create(
        "postgresql+asyncpg",
        username=role,
        password=password,
        host=LOOPBACK,
        port=port,
        database=database,
    )
    return url.render_as_string(hide_password=False)


def ensure_postgres(
    *,
    role: str = DEFAULT_ROLE,
    password: str = DEFAULT_PASSWORD,
    database: str = DEFAULT_DATABASE,
    timeout_s: float = 60.0,
) -> str:
    """Install and start PostgreSQL 15 if needed, prepare the role, return its URL."""
    _validate_identifier(role)
    _validate_identifier(database)
    _install_if_missing()
    cluster = _cluster_info()
    if cluster is None:
        _require_root(f"creating the {PG_VERSION} {CLUSTER_NAME} cluster")
        _run(["pg_createcluster", PG_VERSION, CLUSTER_NAME])
        cluster = _cluster_info()
    if cluster is None:
        raise PostgresError(
            f"pg_createcluster ran but pg_lsclusters lists no {PG_VERSION} "
            f"{CLUSTER_NAME} cluster"
        )
    port = int(cluster["port"])
    if not cluster["running"]:
        _require_root(f"starting the {PG_VERSION} {CLUSTER_NAME} cluster")
        _run(["pg_ctlcluster", PG_VERSION, CLUSTER_NAME, "start"])
        log.info("postgres.cluster.started", version=PG_VERSION, port=port)
    _wait_accepting(port, timeout_s)

    if not _can_log_in(port=port, role=role, password=password, database=database):
        _require_root(f"creating the PostgreSQL role {role!r}")
        _create_role_and_database(
            port=port, role=role, password=password, database=database
        )
        log.info("postgres.role.prepared", role=role, database=database, port=port)
    return database_url(role=role, password=password, database=database, port=port)


def stop_postgres() -> None:
    """Stop the 15 main cluster if it is running."""
    cluster = _cluster_info()
    if cluster is None or not cluster["running"]:
        return
    _require_root(f"stopping the {PG_VERSION} {CLUSTER_NAME} cluster")
    _run(["pg_ctlcluster", PG_VERSION, CLUSTER_NAME, "stop"])
    log.info("postgres.cluster.stopped", version=PG_VERSION)


async def create_database(
    admin_url: str, name: str, *, template: str | None = None
) -> str:
    """Create a database on the server of admin_url and return its URL."""
    _validate_identifier(name)
    statement = f"CREATE DATABASE {name}"
    if template is not None:
        _validate_identifier(template)
        statement += f" TEMPLATE {template}"
    await _execute_autocommit(admin_url, statement)
    url = make_url(admin_url).set(database=name)
    return url.render_as_string(hide_password=False)


async def drop_database(admin_url: str, name: str) -> None:
    """Drop a database on the server of admin_url, ending its open connections."""
    _validate_identifier(name)
    await _execute_autocommit(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _execute_autocommit(admin_url: str, statement: str) -> None:
    # CREATE DATABASE and DROP DATABASE cannot run inside a transaction block.
    engine = create_async_engine(
        admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _validate_identifier(name: str) -> None:
    if _IDENTIFIER.fullmatch(name) is None:
        raise PostgresError(
            f"invalid PostgreSQL name {name!r}: use 1 to 63 lower-case letters, "
            "digits or underscores, not starting with a digit"
        )


def _require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise PostgresError(f"{action} needs root: run this command as root")


def _run(
    command: Sequence[str],
    *,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
) -> str:
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            list(command),
            input=input_text,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            cwd="/",
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError as error:
        raise PostgresError(f"{command[0]} not found on PATH") from error
    except subprocess.TimeoutExpired as error:
        raise PostgresError(
            f"{' '.join(command[:3])} timed out after {timeout_s:.0f} s"
        ) from error
    if result.returncode != 0:
        raise PostgresError(
            f"{' '.join(command[:3])} failed with exit code {result.returncode}:\n"
            f"{tail_lines(result.stdout + result.stderr)}"
        )
    return result.stdout


def _install_if_missing() -> None:
    if shutil.which("pg_ctlcluster") and _SERVER_BINARY.is_file():
        return
    _require_root(f"installing postgresql-{PG_VERSION}")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log.info("postgres.install.started", package=f"postgresql-{PG_VERSION}")
    started = time.monotonic()
    _run(["apt-get", "update"], env=environment, timeout_s=600)
    _run(
        ["apt-get", "install", "-y", f"postgresql-{PG_VERSION}"],
        env=environment,
        timeout_s=900,
    )
    log.info(
        "postgres.install.finished",
        package=f"postgresql-{PG_VERSION}",
        duration_s=round(time.monotonic() - started, 1),
    )


def _cluster_info() -> dict[str, Any] | None:
    clusters: list[dict[str, Any]] = json.loads(_run(["pg_lsclusters", "--json"]))
    for cluster in clusters:
        if str(cluster.get("version")) == PG_VERSION and cluster.get("cluster") == (
            CLUSTER_NAME
        ):
            return cluster
    return None


def _wait_accepting(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    command = ["pg_isready", "-q", "-h", LOOPBACK, "-p", str(port), "-t", "2"]
    while subprocess.run(command, check=False).returncode != 0:  # noqa: S603
        if time.monotonic() >= deadline:
            raise PostgresError(
                f"PostgreSQL on {LOOPBACK}:{port} not accepting connections after "
                f"{timeout_s:.0f} s; see /var/log/postgresql/"
                f"postgresql-{PG_VERSION}-{CLUSTER_NAME}.log"
            )
        time.sleep(0.5)


def _can_log_in(*, port: int, role: str, password: str, database: str) -> bool:
    command = ["psql", "-X", "-q", "-h", LOOPBACK, "-p", str(port), "-U", role]
    command += ["-d", database, "-c", "SELECT 1"]
    # PGPASSWORD keeps the password off the command line that `ps` shows.
    environment = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"}
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        command, env=environment, capture_output=True, check=False, timeout=30
    )
    return result.returncode == 0


def _psql_literal(value: str) -> str:
    # psql reads backslash escapes inside single-quoted arguments of \set.
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return "'" + escaped + "'"


def _create_role_and_database(
    *, port: int, role: str, password: str, database: str
) -> None:
    # \set lines on standard input keep the password off the command line.
    variables = "".join(
        f"\\set {name} {_psql_literal(value)}\n"
        for name, value in (
            ("role", role),
            ("password", password),
            ("database", database),
        )
    )
    command = ["runuser", "-u", "postgres", "--", "psql", "-X", "-q"]
    command += ["-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", "postgres"]
    _run(command, input_text=variables + _CREATE_ROLE_SQL)


def _cluster_port() -> int:
    try:
        cluster = _cluster_info()
    except PostgresError:
        return DEFAULT_PORT
    return DEFAULT_PORT if cluster is None else int(cluster["port"])


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postgres",
        description=(
            f"Start Debian's PostgreSQL {PG_VERSION} cluster for the tests and the "
            "local platform, and print the SQLAlchemy URL of its test database."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "start",
        help=(
            f"install postgresql-{PG_VERSION} if missing, start the cluster, create "
            f"the role and database {DEFAULT_ROLE!r}, and print the URL (root is "
            "needed unless the cluster already runs and the role can log in)"
        ),
    )
    commands.add_parser(
        "url", help="print the URL that start returns, without starting anything"
    )
    commands.add_parser("stop", help="stop the cluster if it is running (needs root)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the postgres command line and return its exit code."""
    arguments = _build_parser().parse_args(argv)
    try:
        if arguments.command == "start":
            print(ensure_postgres())
        elif arguments.command == "url":
            print(database_url(port=_cluster_port()))
        else:
            stop_postgres()
    except PostgresError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
