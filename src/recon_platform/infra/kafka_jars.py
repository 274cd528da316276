"""Apache Kafka broker jars from Maven Central, cached on disk.

`ensure_kafka_jars` writes a small POM that depends on the Kafka server artifact and
lets `mvn dependency:copy-dependencies` copy it and every runtime dependency into
`<cache>/kafka/<version>/libs`. A `complete.json` file, written only after the copy
succeeded, lists each jar with its size. A folder without that file, or with a jar
missing or of another size, is fetched again. A file lock keeps two processes from
fetching the same version at once.
"""

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import structlog

from recon_platform.infra.processes import tail_lines

log = structlog.get_logger(__name__)

DEFAULT_VERSION: Final = "4.3.2"

# Kafka 4.3.2 logs through SLF4J 1.7 but its POM declares no SLF4J binding, so without
# this jar the broker would write no log at all. The version matches the log4j-core
# that Kafka 4.3.2 depends on.
_SLF4J_BINDING: Final = ("org.apache.logging.log4j", "log4j-slf4j-impl", "2.25.5")
_DEPENDENCY_PLUGIN: Final = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_VERSION_PATTERN: Final = re.compile(r"\d+\.\d+\.\d+")
_COMPLETE_MARKER: Final = "complete.json"

_POM_TEMPLATE: Final = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.recon-platform</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>{version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{version}</version>
    </dependency>
    <dependency>
      <groupId>{binding_group}</groupId>
      <artifactId>{binding_artifact}</artifactId>
      <version>{binding_version}</version>
    </dependency>
  </dependencies>
</project>
"""


class KafkaBrokerError(RuntimeError):
    """A Kafka jar fetch, broker start or broker stop failed."""


def cache_root() -> Path:
    """Return the cache folder: $RECON_CACHE_DIR, else ~/.cache/recon-platform."""
    override = os.environ.get("RECON_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "recon-platform"


def ensure_kafka_jars(
    version: str = DEFAULT_VERSION, *, timeout_s: float = 900.0
) -> Path:
    """Fetch the broker jars for a Kafka version unless the cache has them all."""
    if _VERSION_PATTERN.fullmatch(version) is None:
        raise KafkaBrokerError(f"invalid Kafka version {version!r}: expected X.Y.Z")
    version_dir = cache_root() / "kafka" / version
    if _jars_complete(version_dir):
        return version_dir / "libs"

    version_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(version_dir / ".lock"):
        # Another process may have finished the fetch while this one waited.
        if not _jars_complete(version_dir):
            _fetch_jars(version, version_dir, timeout_s=timeout_s)
    return version_dir / "libs"


def _jars_complete(version_dir: Path) -> bool:
    try:
        recorded = json.loads((version_dir / _COMPLETE_MARKER).read_text())
        jar_sizes: dict[str, int] = recorded["jars"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    libs_dir = version_dir / "libs"
    for name, size in jar_sizes.items():
        jar = libs_dir / name
        if not jar.is_file() or jar.stat().st_size != size:
            return False
    return bool(jar_sizes)


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_jars(version: str, version_dir: Path, *, timeout_s: float) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaBrokerError(
            "mvn not found on PATH: install Maven (apt-get install -y maven) "
            "to fetch the Kafka jars"
        )
    pom = version_dir / "pom.xml"
    group, artifact, binding_version = _SLF4J_BINDING
    pom.write_text(
        _POM_TEMPLATE.format(
            version=version,
            binding_group=group,
            binding_artifact=artifact,
            binding_version=binding_version,
        )
    )
    staging_dir = version_dir / "libs.partial"
    libs_dir = version_dir / "libs"
    shutil.rmtree(staging_dir, ignore_errors=True)
    shutil.rmtree(libs_dir, ignore_errors=True)
    command = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={staging_dir}",
        "-DincludeScope=runtime",
    ]
    log.info("kafka.jars.fetch.started", version=version, cache_dir=str(version_dir))
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise KafkaBrokerError(
            f"mvn timed out after {timeout_s:.0f} s fetching Kafka {version} jars"
        ) from error
    if result.returncode != 0:
        output = tail_lines(result.stdout + result.stderr)
        raise KafkaBrokerError(
            f"mvn failed with exit code {result.returncode} fetching Kafka {version} "
            f"jars (pom: {pom}):\n{output}"
        )

    if not (staging_dir / f"kafka_2.13-{version}.jar").is_file():
        raise KafkaBrokerError(
            f"mvn succeeded but kafka_2.13-{version}.jar is missing from {staging_dir}"
        )
    jar_sizes = {jar.name: jar.stat().st_size for jar in staging_dir.glob("*.jar")}
    staging_dir.rename(libs_dir)
    marker = {"version": version, "jars": dict(sorted(jar_sizes.items()))}
    (version_dir / _COMPLETE_MARKER).write_text(json.dumps(marker, indent=2))
    log.info(
        "kafka.jars.fetch.finished",
        version=version,
        jars=len(jar_sizes),
        size_mib=round(sum(jar_sizes.values()) / 2**20, 1),
        duration_s=round(time.monotonic() - started, 1),
    )
