"""Launchers for the real servers that the local platform and the tests use.

`kafka` runs a single-node Apache Kafka broker in KRaft mode from jars that
`kafka_jars` fetches with Maven, and `kafka_cli` is its command line. `postgres`
starts Debian's PostgreSQL 15 cluster with a test role and is its own command line.
"""
