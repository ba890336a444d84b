"""The simulator's own fixtures, for tests/sim/test_sim.py."""

from tests.sim.fixtures import provider_sim, sim_market, yf_env  # noqa: F401
