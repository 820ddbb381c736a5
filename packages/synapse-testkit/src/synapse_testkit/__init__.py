"""Test helpers shared by every package's tests in the Synapse SDK workspace (unpublished).

- `synapse_testkit.fileserver`: an HTTP/1.1 file server with Range, ETag and per-attempt faults (downloads);
- `synapse_testkit.simple_fileserver`: bytes per path and request counts, for tests that only need a URL;
- `synapse_testkit.storage_servers`: an HTTP file server, moto's S3 server, a GCS emulator and an SFTP server;
- `synapse_testkit.agent_server`: the agent protocol, forwarding Ray calls to a real Ray head;
- `synapse_testkit.pytest_plugin`: the Hypothesis profiles and the shared fixtures, loaded by pytest automatically.

Plugin authors use `synapse_client.testing` (published) instead.
"""
