"""The one error a local control plane raises: something a developer must fix to go on."""


class ControlPlaneError(RuntimeError):
    """The control plane could not start, or a component died; the message says why."""
