"""Talking to Pipecat Cloud: libcurl transport, the API connection (key, timeouts, retries),
typed endpoints for builds and agents, and the storage upload (which never carries the key)."""
