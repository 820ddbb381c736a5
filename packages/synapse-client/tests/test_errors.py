from __future__ import annotations

import pytest

from synapse_client import ClientError


def test_client_error_keeps_status_and_reason() -> None:
    with pytest.raises(ClientError) as info:
        raise ClientError(404, "Job not found")
    assert info.value.status == 404
    assert info.value.reason == "Job not found"
    assert str(info.value) == "404: Job not found"
