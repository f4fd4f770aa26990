"""Where a scheduling client connects, and in which namespace it works by default.

Like kubectl: a kubeconfig (`KUBECONFIG` or ~/.kube/config, read by the kubernetes client) and
its current context's namespace; inside a Pod without a kubeconfig, the ServiceAccount's
token and the Pod's own namespace. Either way "default" when nothing names a namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from scheduledjob_client.scheduling.errors import SchedulingError

DEFAULT_NAMESPACE: Final = "default"
IN_CLUSTER_NAMESPACE_FILE: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


@dataclass(frozen=True)
class Connection:
    """An API client and the namespace calls use when they name none."""

    api_client: Any
    namespace: str


def from_kubeconfig(
    config_file: str | Path | None = None, *, context: str | None = None
) -> Connection:
    """A connection from a kubeconfig file and context (the current one when None)."""
    path = None if config_file is None else str(Path(config_file).expanduser())
    try:
        contexts, current = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=path
        )
        chosen = current
        if context is not None:
            chosen = next((item for item in contexts or [] if item.get("name") == context), None)
            if chosen is None:
                names = ", ".join(str(item.get("name")) for item in contexts or []) or "none"
                message = f"context {context!r} is not in the kubeconfig (contexts: {names})"
                raise SchedulingError(message)
        configuration = client.Configuration()
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=path,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as error:
        message = (
            f"cannot use the kubeconfig {path or '(KUBECONFIG or ~/.kube/config)'}: {error}. "
            "Point KUBECONFIG (or --kubeconfig) at a valid kubeconfig."
        )
        raise SchedulingError(message) from error
    namespace = ((chosen or {}).get("context") or {}).get("namespace") or DEFAULT_NAMESPACE
    return Connection(client.ApiClient(configuration), str(namespace))


def in_cluster() -> Connection:
    """A connection as the Pod's ServiceAccount, working in the Pod's namespace."""
    configuration = client.Configuration()
    try:
        config.load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration
        )
    except ConfigException as error:
        message = (
            f"not running in a Kubernetes Pod with a ServiceAccount token ({error}); "
            "use a kubeconfig instead"
        )
        raise SchedulingError(message) from error
    try:
        namespace = IN_CLUSTER_NAMESPACE_FILE.read_text().strip() or DEFAULT_NAMESPACE
    except OSError:
        namespace = DEFAULT_NAMESPACE
    return Connection(client.ApiClient(configuration), namespace)


def from_environment() -> Connection:
    """The kubeconfig when there is a usable one, else the in-cluster ServiceAccount."""
    try:
        return from_kubeconfig()
    except SchedulingError as kubeconfig_error:
        try:
            return in_cluster()
        except SchedulingError:
            raise kubeconfig_error from None
