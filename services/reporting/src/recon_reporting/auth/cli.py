"""`recon-reporting add-user`: add a local user or change their password and role."""

import argparse
import getpass
import sys

from recon_reporting.auth.passwords import hash_password
from recon_reporting.auth.roles import Role
from recon_reporting.auth.users import StoredUser, UsersFileError, save_user
from recon_reporting.settings import ReportingSettings

MIN_PASSWORD_LENGTH = 12


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the add-user command."""
    parser = argparse.ArgumentParser(
        prog="recon-reporting add-user",
        description=(
            "Add a local user to the users file (REPORTING_USERS_FILE), or replace "
            "the password and role of an existing one. The password is read from "
            "standard input when it is not a terminal, else prompted for twice."
        ),
    )
    parser.add_argument("--username", required=True, help="login name")
    parser.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
        help="what the user may see; auditor and administrator see full accounts",
    )
    return parser


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Repeat password: ")
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def add_user(argv: list[str], *, settings: ReportingSettings) -> int:
    """Run the add-user command and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        password = _read_password()
    except ValueError as exc:
        print(f"error: {exc}; run the command again", file=sys.stderr)
        return 2
    if len(password) < MIN_PASSWORD_LENGTH:
        print(
            f"error: the password has {len(password)} characters; use at least "
            f"{MIN_PASSWORD_LENGTH}",
            file=sys.stderr,
        )
        return 2
    user = StoredUser(
        username=args.username,
        password_hash=hash_password(password),
        role=Role(args.role),
    )
    try:
        created = save_user(settings.users_file, user)
    except (UsersFileError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    verb = "added" if created else "updated"
    print(f"{verb} user {user.username} ({user.role.value}) in {settings.users_file}")
    return 0
