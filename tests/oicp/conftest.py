"""Fixtures for the Hubject (OICP 2.3) tests: the test CA of the session and a started
FakeHubject whose violations fail the test that caused them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.conftest import make_party, parties
from tests.oicp.certs import TestCA
from tests.oicp.fake_hubject import FakeHubject


@pytest.fixture(scope="session")
def hubject_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    """The session's "Hubject test root": `hubject_ca.client(cn)` issues a partner's client
    certificate (files: `.cert`, `.key`, `.ca`), `hubject_ca.server()` the fake's."""
    return TestCA(tmp_path_factory.mktemp("hubject-ca"))


@pytest.fixture
async def fake_hubject(hubject_ca: TestCA) -> AsyncIterator[FakeHubject]:
    """A started FakeHubject; at teardown, every violation it recorded must have been expected
    (`fake_hubject.expect_violations(...)`)."""
    fake = await FakeHubject(ca=hubject_ca).start()
    yield fake
    await fake.stop()
    fake.check_violations()


__all__ = ["fake_hubject", "hubject_ca", "make_party", "parties"]  # the e2e party fixtures too
