"""The demo day: real statements and a generated ledger, sent through SFTP.

`prepare` writes everything the platform needs before it starts: the SFTP users and
their key, the reconciliation definitions (one per statement account, against its
ledger account) and the day's files. The ledger is derived from the statements by
`recon_platform.ledger_generator` with a fixed seed, so every run gives the same
numbers. `upload` sends the files over SFTP, and `wait_for_results` polls the
services until every file is reconciled.
"""

import asyncio
import shutil
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import yaml
from recon_common.events import Transaction
from recon_ingest.parsers import parse_file

from recon_platform.ledger_generator import generate_ledger
from recon_platform.stack import BANK_ID, LocalStack, Progress

SEED = 20261204
# The user name that the audit journal records for definitions the demo saves.
DEMO_ACTOR = "recon-demo"
STATEMENT_USER = "correspondents"
LEDGER_USER = "general-ledger"
LEDGER_FILENAME = "ledger-extract.csv"
# A statement whose :61: line lost its amount in transit: it must be rejected.
BROKEN_FILENAME = "broken-statement.sta"
BROKEN_STATEMENT = (
    ":20:DEMO-BROKEN\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n"
    ":60F:C261203EUR1000,00\r\n:61:2612031203CNTRFNONREF//X1\r\n"
    ":62F:C261203EUR1000,00\r\n-\r\n"
)


class DemoError(RuntimeError):
    """A failed step of the demo day, with the reason in its message."""


@dataclass(frozen=True)
class DemoDay:
    folder: Path
    statement_files: list[Path]
    ledger_file: Path
    broken_file: Path
    expected_transactions: int
    definitions: list[dict[str, Any]]

    @property
    def all_files(self) -> list[Path]:
        """Return every file of the day in upload order."""
        return [*self.statement_files, self.ledger_file, self.broken_file]


def prepare(stack: LocalStack, *, progress: Progress) -> DemoDay:
    """Write the demo files, definitions and SFTP users into the data folder."""
    folder = stack.data_dir / "demo"
    outbox = folder / "outbox"
    if outbox.exists():
        shutil.rmtree(outbox)
    outbox.mkdir(parents=True)
    statements: list[Path] = []
    transactions: list[Transaction] = []
    statement_folder = files("recon_platform.demo_data").joinpath("statements")
    for source in sorted(statement_folder.iterdir(), key=lambda item: item.name):
        target = outbox / source.name
        target.write_bytes(source.read_bytes())
        statements.append(target)
        parsed = parse_file(
            target.read_bytes(),
            filename=source.name,
            file_id=source.name,
            bank_id=BANK_ID,
        )
        transactions.extend(parsed.transactions)
    accounts = sorted({item.account for item in transactions})
    account_map = {
        account: f"GL-{1000 + index}" for index, account in enumerate(accounts)
    }
    ledger = generate_ledger(transactions, seed=SEED, account_map=account_map)
    ledger_file = outbox / LEDGER_FILENAME
    ledger_file.write_text(ledger.csv_text, newline="")
    (folder / "ledger-truth.csv").write_text(ledger.truth_csv_text, newline="")
    broken = outbox / BROKEN_FILENAME
    broken.write_text(BROKEN_STATEMENT)
    progress(
        f"demo day: {len(statements)} statements with {len(transactions)} lines on "
        f"{len(accounts)} accounts, a ledger of {len(ledger.entries)} entries, and one "
        "broken file"
    )

    definitions = _write_definitions(stack, transactions, account_map)
    _write_sftp_users(stack, folder)
    return DemoDay(
        folder=folder,
        statement_files=statements,
        ledger_file=ledger_file,
        broken_file=broken,
        expected_transactions=len(transactions) + len(ledger.entries),
        definitions=definitions,
    )


def _write_definitions(
    stack: LocalStack, transactions: list[Transaction], account_map: dict[str, str]
) -> list[dict[str, Any]]:
    currencies: dict[str, str] = {}
    for item in transactions:
        currencies.setdefault(item.account, item.currency)
    definitions = []
    for number, (account, ledger_account) in enumerate(account_map.items(), start=1):
        # Names and ids show only the last four characters, like every other place
        # that shows an account number to a role without full access. The name
        # avoids the redaction mask itself: the definition edit page refuses a
        # text that contains it, as a copy of a redacted page.
        suffix = "".join(ch for ch in account if ch.isalnum())[-4:].lower()
        definitions.append(
            {
                "id": f"nostro-{number}-{suffix}",
                "name": f"Nostro {currencies[account]} ending {suffix.upper()} "
                f"against {ledger_account}",
                "bank_id": BANK_ID,
                "side_a": {"record_kind": "statement", "accounts": [account]},
                "side_b": {"record_kind": "ledger", "accounts": [ledger_account]},
                "account_pairs": [{"side_a": account, "side_b": ledger_account}],
                "passes": [
                    {"name": "exact", "kind": "exact"},
                    {
                        "name": "amount and date tolerance",
                        "kind": "tolerance",
                        "amount_tolerance": "5.00",
                        "date_window_days": 3,
                    },
                ],
            }
        )
    path = stack.service_dir("matcher") / "reconciliations.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"definitions": definitions}, sort_keys=False))
    return definitions


def save_definitions(stack: LocalStack, day: DemoDay, *, progress: Progress) -> None:
    """Save and activate the day's definitions through a running matcher's API.

    The matcher reads its definitions file only at start-up, so a demo sent
    through a platform that already runs must hand them over this way, or its
    files would land in no reconciliation. A definition that the matcher already has
    unchanged is kept as it is.
    """
    headers = {
        **stack.service_headers(),
        "X-Acting-User": DEMO_ACTOR,
        "X-Acting-Role": "administrator",
    }
    for definition in day.definitions:
        response = httpx.put(
            f"{stack.url('matcher')}/v1/definitions/{definition['id']}",
            json=definition,
            params={"note": "demo day"},
            headers=headers,
            timeout=30.0,
        )
        unchanged = response.status_code == 409 and (
            response.json().get("error") == "UnchangedDefinition"
        )
        if response.status_code != 201 and not unchanged:
            raise DemoError(
                f"saving definition {definition['id']} in the matcher failed with "
                f"HTTP {response.status_code}: {response.text[:300]}"
            )
    progress(f"saved {len(day.definitions)} definitions in the running matcher")


def sftp_key_path(stack: LocalStack) -> Path:
    """Return the private key that the demo's SFTP users log in with."""
    return stack.data_dir / "demo" / "sftp-key"


def _write_sftp_users(stack: LocalStack, folder: Path) -> None:
    key_path = sftp_key_path(stack)
    if not key_path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment="demo uploads")
        key.write_private_key(key_path)
        key.write_public_key(key_path.with_suffix(".pub"))
        key_path.chmod(0o600)
    public_key = key_path.with_suffix(".pub").read_text().strip()
    users = {
        "users": [
            {"username": STATEMENT_USER, "public_keys": [public_key]},
            {
                "username": LEDGER_USER,
                "public_keys": [public_key],
                "csv_profile": "ledger",
            },
        ]
    }
    path = stack.sftp_users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(users, sort_keys=False))


async def upload(stack: LocalStack, day: DemoDay, *, progress: Progress) -> None:
    """Send the day's files over SFTP, statements and ledger by their own users."""
    # The same file that the printed `sftp` command pins the host key with.
    known_hosts = asyncssh.read_known_hosts(str(stack.sftp_known_hosts_file()))
    client_key = asyncssh.read_private_key(day.folder / "sftp-key")
    batches = [
        (STATEMENT_USER, [*day.statement_files, day.broken_file]),
        (LEDGER_USER, [day.ledger_file]),
    ]
    for username, paths in batches:
        async with (
            asyncssh.connect(
                "127.0.0.1",
                stack.ports.of("sftp"),
                username=username,
                client_keys=[client_key],
                known_hosts=known_hosts,
            ) as connection,
            connection.start_sftp_client() as sftp,
        ):
            for path in paths:
                await sftp.put(str(path), path.name)
                progress(f"uploaded {path.name} as {username}")


def wait_for_results(
    stack: LocalStack, day: DemoDay, *, progress: Progress, timeout_s: float = 300.0
) -> dict[str, Any]:
    """Poll until every file is parsed or rejected and reporting shows all of it."""
    deadline = time.monotonic() + timeout_s
    expected_files = len(day.all_files)
    last_line = ""
    while time.monotonic() < deadline:
        files_page = httpx.get(
            f"{stack.url('ingest')}/v1/files?limit=500",
            headers=stack.service_headers(),
            timeout=5.0,
        )
        files_page.raise_for_status()
        landed = files_page.json()["files"]
        done = [item for item in landed if item["status"] in {"parsed", "rejected"}]
        summary = fetch_summary(stack)
        line = (
            f"files {len(done)}/{expected_files} parsed or rejected, reporting shows "
            f"{summary['transactions']}/{day.expected_transactions} transactions"
        )
        if line != last_line:
            progress(line)
            last_line = line
        if (
            len(done) == expected_files
            and summary["files"] == expected_files
            and summary["transactions"] == day.expected_transactions
        ):
            return summary
        time.sleep(1.0)
    raise TimeoutError(
        f"the demo day was not reconciled within {timeout_s:.0f} s ({last_line}); "
        f"see the logs in {stack.logs_dir}"
    )


def reporting_credentials(stack: LocalStack) -> tuple[str, str]:
    """Return the user and password that the reporting service created at start."""
    password_file = stack.service_dir("reporting") / "initial-password.txt"
    return "operator", password_file.read_text().strip()


_tokens: dict[tuple[str, str], str] = {}


def _bearer_token(stack: LocalStack) -> str:
    # One sign-in per stack: each password check costs a deliberately slow scrypt.
    # A stack started again on the same port has a new password, so the password is
    # part of the key and a token of the old stack is never sent to the new one.
    base = stack.url("reporting")
    credentials = reporting_credentials(stack)
    key = (base, credentials[1])
    if key not in _tokens:
        response = httpx.post(
            f"{base}/api/v1/auth/token", auth=credentials, timeout=30.0
        )
        response.raise_for_status()
        _tokens[key] = response.json()["access_token"]
    return _tokens[key]


def fetch_summary(stack: LocalStack) -> dict[str, Any]:
    """Return the reporting service's totals."""
    response = httpx.get(
        f"{stack.url('reporting')}/api/v1/summary",
        headers={"Authorization": f"Bearer {_bearer_token(stack)}"},
        timeout=10.0,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def run_upload(stack: LocalStack, day: DemoDay, *, progress: Progress) -> None:
    """Run `upload` from synchronous code."""
    asyncio.run(upload(stack, day, progress=progress))
