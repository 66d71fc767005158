"""Build Docker images on Pipecat Cloud's remote build service from CI."""

__version__ = "0.1.0"
