"""The one place that talks to Docker (docker-py for reads, python-on-whales compose for changes)."""

from sdmd.docker.gateway import ComposeProject, DockerGateway, PullResult

__all__ = ["ComposeProject", "DockerGateway", "PullResult"]
