"""Reconciliation definitions as the reporting pages show them.

The matcher stores the definitions and their versions. This package calls its
`/v1/definitions` routes on behalf of the signed-in user and turns the stored
versions into what the pages display.
"""
