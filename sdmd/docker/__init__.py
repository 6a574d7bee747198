"""The one place that talks to Docker (docker-py for reads, python-on-whales compose for changes)."""

from sdmd.docker.compose import ComposeProject
from sdmd.docker.endpoint import Endpoint, TlsFiles
from sdmd.docker.gateway import DockerGateway, PullResult

__all__ = ["ComposeProject", "DockerGateway", "Endpoint", "PullResult", "TlsFiles"]
