"""Benchmark the statement parsers on large generated MT940 and camt.053 files.

Generates seeded MT940 and camt.053 files with realistic entries (SEPA references,
counterparty names and IBANs, remittance text), then parses each one in its own
subprocess and reports MB/s, transactions/s, the subprocess's CPU time and its peak
RSS. The same MT940 file is also parsed by the `mt-940` package from PyPI, for
comparison. A second series parses camt.053 files of growing size with
`parse_path`, to show whether peak memory stays flat.

Run from the repository root:

    .venv/bin/python bench/parse_benchmark.py --output bench-results.json

`--mt940-only` runs just the MT940 pair, back to back on the same file.

This is a benchmark, not a test: it takes minutes and writes large temporary files.
"""

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

MIB = 1024 * 1024
PARSERS = ("mt940", "mt940-package", "camt-bytes", "camt-path")
# Entries per statement in the generated files, about one busy nostro account's day.
ENTRIES_PER_STATEMENT = 500
_NAMES = (
    "ACME Industrial GmbH",
    "Nordlicht Logistik AG",
    "Banque Dupont SA",
    "Van der Berg Holding BV",
    "Kowalski Sp. z o.o.",
    "Rossi e Figli S.r.l.",
    "Svensson Trading AB",
    "Hernandez Servicios SL",
)
_PURPOSES = (
    "Invoice {n} dated {d}",
    "Salary December payroll batch {n}",
    "Rent office lease contract {n}",
    "Refund order {n} partial return",
    "Card settlement merchant batch {n}",
)


@dataclass(frozen=True)
class Entry:
    """One generated booking: direction, amount and the texts around it."""

    credit: bool
    amount: Decimal
    booked: date
    end_to_end_id: str
    bank_reference: str
    name: str
    iban: str
    purpose: str


@dataclass(frozen=True)
class Measurement:
    """One parse run in its own subprocess."""

    parser: str
    input_mb: float
    seconds: float
    # Process CPU time (user and system) of the parse. On a machine that other jobs
    # share, it varies less between runs than the wall-clock `seconds`.
    cpu_seconds: float
    transactions: int
    peak_rss_mb: float
    baseline_rss_mb: float
    # The 1-minute load average just before the subprocess started.
    load_average: float

    @property
    def mb_per_s(self) -> float:
        """Return the input MiB parsed per second."""
        return self.input_mb / self.seconds

    @property
    def transactions_per_s(self) -> float:
        """Return the transactions parsed per second."""
        return self.transactions / self.seconds


def _iban(rng: random.Random) -> str:
    country = rng.choice(("DE", "FR", "NL", "IT", "ES", "PL", "SE"))
    digits = "".join(rng.choice("0123456789") for _ in range(18))
    return f"{country}{rng.randint(10, 99)}{digits}"


def _entries(rng: random.Random, booked: date, start: int) -> Iterator[Entry]:
    for number in range(start, start + ENTRIES_PER_STATEMENT):
        cents = int(rng.lognormvariate(10, 1.6)) + 1
        purpose = rng.choice(_PURPOSES).format(n=number, d=booked.isoformat())
        yield Entry(
            credit=rng.random() < 0.55,
            amount=Decimal(cents).scaleb(-2),
            booked=booked,
            end_to_end_id=f"E2E{booked:%Y%m%d}{number:09d}",
            bank_reference=f"BR{number:012d}",
            name=rng.choice(_NAMES),
            iban=_iban(rng),
            purpose=purpose,
        )


def _statements(
    rng: random.Random, target_bytes: int, written: Callable[[], int]
) -> Iterator[tuple[int, date, list[Entry]]]:
    """Yield statements until the output reaches `target_bytes`."""
    day = date(2026, 1, 2)
    number = 1
    statement = 1
    while written() < target_bytes:
        entries = list(_entries(rng, day, number))
        yield statement, day, entries
        number += len(entries)
        statement += 1
        day += timedelta(days=1)


def _swift_amount(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def _swift_balance(balance: Decimal, on: date) -> str:
    mark = "C" if balance >= 0 else "D"
    return f"{mark}{on:%y%m%d}EUR{_swift_amount(abs(balance))}"


def write_mt940(path: Path, *, target_bytes: int, seed: int) -> int:
    """Write MT940 statements of one account until the file reaches `target_bytes`."""
    rng = random.Random(seed)
    balance = Decimal("1500000.00")
    with path.open("w", encoding="ascii", newline="") as out:
        for number, day, entries in _statements(rng, target_bytes, out.tell):
            lines = [
                f":20:STMT{number:08d}",
                ":25:DE89370400440532013000",
                f":28C:{number % 100000:05d}/001",
                f":60F:{_swift_balance(balance, day)}",
            ]
            for entry in entries:
                lines.extend(_mt940_entry(entry))
                balance += entry.amount if entry.credit else -entry.amount
            lines.append(f":62F:{_swift_balance(balance, day)}")
            out.write("\r\n".join(lines) + "\r\n-\r\n")
        return out.tell()


def _mt940_entry(entry: Entry) -> list[str]:
    mark = "C" if entry.credit else "D"
    code = "166" if entry.credit else "177"
    details = (
        f"{code}?00SEPA-UEBERWEISUNG?100931?20EREF+{entry.end_to_end_id}"
        f"?21SVWZ+{entry.purpose[:23]}?22{entry.purpose[23:50]}"
        f"?30COBADEFFXXX?31{entry.iban}?32{entry.name[:27]}"
    )
    lines = [
        f":61:{entry.booked:%y%m%d%m%d}{mark}{_swift_amount(entry.amount)}"
        f"NTRF{entry.end_to_end_id[:16]}//{entry.bank_reference}",
        f":86:{details[:65]}",
    ]
    lines.extend(details[start : start + 65] for start in range(65, len(details), 65))
    return lines


def write_camt053(path: Path, *, target_bytes: int, seed: int) -> int:
    """Write a camt.053.001.08 document of one account with about `target_bytes`."""
    rng = random.Random(seed)
    balance = Decimal("1500000.00")
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
            "<BkToCstmrStmt><GrpHdr><MsgId>BENCH-1</MsgId>"
            "<CreDtTm>2026-12-04T06:00:00Z</CreDtTm></GrpHdr>\n"
        )
        for number, day, entries in _statements(rng, target_bytes, out.tell):
            closing = balance + sum(
                (e.amount if e.credit else -e.amount for e in entries), Decimal(0)
            )
            out.write(_camt_header(number, day, balance, closing))
            for entry in entries:
                out.write(_camt_entry(entry))
            out.write("</Stmt>\n")
            balance = closing
        out.write("</BkToCstmrStmt></Document>\n")
        return out.tell()


def _camt_balance(code: str, amount: Decimal, on: date) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
    )


def _camt_header(number: int, day: date, opening: Decimal, closing: Decimal) -> str:
    return (
        f"<Stmt><Id>STMT{number:08d}</Id><ElctrncSeqNb>{number}</ElctrncSeqNb>"
        f"<CreDtTm>{day.isoformat()}T23:00:00Z</CreDtTm>"
        "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f"{_camt_balance('OPBD', opening, day)}"
        f"{_camt_balance('CLBD', closing, day)}\n"
    )


def _camt_entry(entry: Entry) -> str:
    indicator = "CRDT" if entry.credit else "DBIT"
    party = "Dbtr" if entry.credit else "Cdtr"
    account = "DbtrAcct" if entry.credit else "CdtrAcct"
    on = entry.booked.isoformat()
    return (
        f'<Ntry><Amt Ccy="EUR">{entry.amount:.2f}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{on}</Dt></BookgDt><ValDt><Dt>{on}</Dt></ValDt>"
        f"<AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
        "</Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
        f"<AcctSvcrRef>{entry.bank_reference}</AcctSvcrRef>"
        f"<EndToEndId>{entry.end_to_end_id}</EndToEndId></Refs>"
        f'<Amt Ccy="EUR">{entry.amount:.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<RltdPties><{party}><Pty><Nm>{entry.name}</Nm></Pty></{party}>"
        f"<{account}><Id><IBAN>{entry.iban}</IBAN></Id></{account}></RltdPties>"
        f"<RmtInf><Ustrd>{entry.purpose}</Ustrd></RmtInf></TxDtls></NtryDtls>"
        "</Ntry>\n"
    )


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(parser: str, path: Path) -> dict[str, Any]:
    """Parse `path` with `parser` in this process and return time and memory."""
    # Both libraries are imported before the baseline, for every parser alike.
    import mt940
    from recon_ingest.parsers import ParseSettings, parse_file, parse_path

    # Limits far above the inputs, so that the benchmark measures parsing alone.
    settings = ParseSettings(max_file_bytes=2**40, max_entries=10**9)
    baseline = _peak_rss_mb()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if parser == "mt940-package":
        count = len(mt940.parse(path.read_bytes(), encoding="ascii"))
    elif parser == "camt-path":
        counted = [0]

        def discard(batch: list[Any]) -> None:
            counted[0] += len(batch)

        parse_path(
            path,
            file_id="bench",
            bank_id="bench",
            settings=settings,
            on_transactions=discard,
        )
        count = counted[0]
    else:
        result = parse_file(
            path.read_bytes(),
            filename=path.name,
            file_id="bench",
            bank_id="bench",
            settings=settings,
        )
        count = len(result.transactions)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "transactions": count,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
    }


def measure(parser: str, path: Path) -> Measurement:
    """Run `parser` on `path` in a fresh subprocess and return its measurement."""
    load_average = os.getloadavg()[0]
    # The command is this interpreter running this script on a generated file.
    completed = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--run-one", parser, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{parser} on {path.name} failed with exit code {completed.returncode}:\n"
            f"{completed.stderr[-4000:]}"
        )
    values = json.loads(completed.stdout.strip().splitlines()[-1])
    return Measurement(
        parser=parser,
        input_mb=path.stat().st_size / MIB,
        load_average=load_average,
        **values,
    )


def machine() -> dict[str, str]:
    """Return the CPU model, CPU count, memory, Python version and date."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory_gib": f"{memory_kib / MIB:.1f}",
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _report(out: TextIO, rows: list[Measurement]) -> None:
    out.write(
        f"{'parser':<14} {'input MiB':>9} {'seconds':>8} {'CPU s':>8} {'MiB/s':>7} "
        f"{'transactions':>12} {'tx/s':>9} {'peak RSS MiB':>12} {'base MiB':>8} "
        f"{'load':>5}\n"
    )
    for row in rows:
        out.write(
            f"{row.parser:<14} {row.input_mb:>9.1f} {row.seconds:>8.2f} "
            f"{row.cpu_seconds:>8.2f} {row.mb_per_s:>7.2f} {row.transactions:>12} "
            f"{row.transactions_per_s:>9.0f} {row.peak_rss_mb:>12.1f} "
            f"{row.baseline_rss_mb:>8.1f} {row.load_average:>5.2f}\n"
        )
    out.flush()


def _report_ratio(out: TextIO, ours: Measurement, package: Measurement) -> None:
    out.write(
        f"mt940 against mt940-package: {ours.mb_per_s / package.mb_per_s:.2f} times "
        f"the throughput, {package.cpu_seconds / ours.cpu_seconds:.2f} times by CPU "
        "time\n"
    )
    out.flush()


def _generate(kind: str, folder: Path, size_mb: float, seed: int) -> Path:
    path = folder / f"bench-{size_mb:g}mb.{'sta' if kind == 'mt940' else 'xml'}"
    started = time.perf_counter()
    writer = write_mt940 if kind == "mt940" else write_camt053
    size = writer(path, target_bytes=int(size_mb * MIB), seed=seed)
    print(
        f"generated {path.name}: {size / MIB:.1f} MiB in "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the inputs, run every measurement and return the results."""
    rows: list[Measurement] = []
    memory_rows: list[Measurement] = []
    with tempfile.TemporaryDirectory(dir=args.work_dir) as folder:
        work = Path(folder)
        mt940_path = _generate("mt940", work, args.size_mb, args.seed)
        for _ in range(args.mt940_pairs):
            rows.append(measure("mt940", mt940_path))
            if not args.skip_mt940_package:
                package = measure("mt940-package", mt940_path)
                rows.append(package)
                _report_ratio(sys.stderr, rows[-2], package)
        mt940_path.unlink()
        if args.mt940_only:
            _report(sys.stdout, rows)
            return _results(rows, memory_rows)
        camt_path = _generate("camt.053", work, args.size_mb, args.seed)
        rows.append(measure("camt-bytes", camt_path))
        rows.append(measure("camt-path", camt_path))
        camt_path.unlink()
        _report(sys.stdout, rows)
        for size_mb in args.memory_sizes_mb:
            path = _generate("camt.053", work, size_mb, args.seed)
            memory_rows.append(measure("camt-path", path))
            if size_mb <= args.bytes_memory_max_mb:
                memory_rows.append(measure("camt-bytes", path))
            path.unlink()
        _report(sys.stdout, memory_rows)
    return _results(rows, memory_rows)


def _results(rows: list[Measurement], memory_rows: list[Measurement]) -> dict[str, Any]:
    return {
        "machine": machine(),
        "command": " ".join(sys.argv),
        "throughput": [_row(row) for row in rows],
        "memory": [_row(row) for row in memory_rows],
    }


def _row(row: Measurement) -> dict[str, Any]:
    values = asdict(row)
    values["mb_per_s"] = round(row.mb_per_s, 2)
    values["transactions_per_s"] = round(row.transactions_per_s)
    return values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--size-mb",
        type=float,
        default=100,
        help="size of the MT940 and camt.053 throughput inputs, in MiB (default 100)",
    )
    parser.add_argument(
        "--memory-sizes-mb",
        type=float,
        nargs="+",
        default=[10, 100, 1000],
        help="sizes of the camt.053 memory series, in MiB (default 10 100 1000)",
    )
    parser.add_argument(
        "--bytes-memory-max-mb",
        type=float,
        default=100,
        help="largest memory-series input also parsed with parse_file, in MiB "
        "(default 100), because parse_file holds every transaction",
    )
    parser.add_argument(
        "--seed", type=int, default=20261204, help="random seed of the generators"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="folder for the temporary inputs (default: the system temp folder)",
    )
    parser.add_argument(
        "--skip-mt940-package",
        action="store_true",
        help="do not run the mt-940 package on the MT940 input",
    )
    parser.add_argument(
        "--mt940-pairs",
        type=int,
        default=1,
        help="number of back-to-back runs of both MT940 parsers on the same file "
        "(default 1)",
    )
    parser.add_argument(
        "--mt940-only",
        action="store_true",
        help="run only the MT940 throughput pair, without the camt.053 runs",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="write the results as JSON here"
    )
    parser.add_argument("--run-one", nargs=2, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark command line."""
    args = _parser().parse_args(argv)
    if args.run_one:
        parser, path = args.run_one
        if parser not in PARSERS:
            raise SystemExit(f"unknown parser {parser!r}; expected one of {PARSERS}")
        print(json.dumps(run_one(parser, Path(path))))
        return 0
    results = run(args)
    if args.output is not None:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
