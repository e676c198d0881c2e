"""The short version of ./scripts/soak: 2,000 mixed requests per server (the
soak's mix and servers, php-fpm as the reference), every response exact,
every script's work done exactly once, no descriptor left open in a worker,
the same four workers alive at the end (but where mod_fcgid retires them),
nothing crashed. Memory growth needs
the long run (./scripts/soak) to be measured."""

import pytest

import soak


@pytest.mark.parametrize("label", [*soak.SETUPS, *soak.RETIRING])
def test_short_soak(label):
    result = soak.soak(label, 2000, extension=label != soak.REFERENCE, sample_every=500)
    assert soak.ok(result), result
    assert result["fd_growth"] == 0, result
