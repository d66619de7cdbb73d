"""The ``ci-rescue`` command line."""
