"""Command-line tool and local stack."""
