"""A faithful local mock of the Flowlix payments API: run `flowlix-mock`, or use
`flowlix_mock.testing.start_mock` from your own tests."""

__version__ = "0.1.0"
