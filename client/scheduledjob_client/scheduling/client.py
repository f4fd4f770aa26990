"""`SchedulingClient`: creates, triggers, suspends and deletes ScheduledJobs from Python code.

The Python counterpart of the .NET framework's `ScheduleJobWithContextAsync`,
`ScheduleTenantJobAsync` and `ScheduleSystemJobAsync`: instead of handing a trigger to an
in-process Quartz scheduler, a call declares a ScheduledJob, and the operator runs it.

Creating is a server-side apply (field manager `basejob-scheduling`, forced), so the same call
twice changes nothing and a call with the same name but new arguments updates the object.
Suspend, resume and trigger are merge patches of one field each, so they never take the
other fields away from the apply. Every API failure becomes a `SchedulingError` subclass.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar, Unpack

import urllib3.exceptions
from kubernetes import client as kubernetes_client
from kubernetes.client.exceptions import ApiException

from basejob import contract
from basejob.job import BaseJob
from scheduledjob_client.scheduling import connection, manifest, tracecontext
from scheduledjob_client.scheduling.errors import (
    ScheduledJobNotFoundError,
    SchedulingError,
    from_api_exception,
)
from scheduledjob_client.scheduling.manifest import (
    ContextArguments,
    Identifier,
    ScheduleArguments,
    ScheduleWithContextArguments,
)
from scheduledjob_client.scheduling.refs import Change, ScheduledJobRef

FIELD_MANAGER: Final = "basejob-scheduling"
_APPLY_PATCH: Final = "application/apply-patch+yaml"
_MERGE_PATCH: Final = "application/merge-patch+json"
T = TypeVar("T")
# Standard logging, as a library should: silent until the application configures logging
# (the runtime's logs.configure routes it through structlog).
_LOGGER: Final = logging.getLogger(__name__)


def new_trigger_token() -> str:
    """A fresh, unique trigger token that also says when it was made (UTC)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{uuid.uuid4().hex[:8]}"


class SchedulingClient:
    """ScheduledJob operations against one cluster, in a default namespace.

    Every method takes `namespace=` to work elsewhere. The caller's identity needs get,
    create, patch and delete on scheduledjobs.jobs.connectflow.io.
    """

    def __init__(self, api_client: Any, *, namespace: str = connection.DEFAULT_NAMESPACE) -> None:
        self._api_client = api_client
        self._custom = kubernetes_client.CustomObjectsApi(api_client)
        self._namespace = namespace

    @classmethod
    def from_kubeconfig(
        cls, config_file: str | Path | None = None, *, context: str | None = None
    ) -> SchedulingClient:
        """A client from a kubeconfig, in its context's namespace (as kubectl would be)."""
        found = connection.from_kubeconfig(config_file, context=context)
        return cls(found.api_client, namespace=found.namespace)

    @classmethod
    def in_cluster(cls) -> SchedulingClient:
        """A client as the Pod's ServiceAccount, in the Pod's namespace."""
        found = connection.in_cluster()
        return cls(found.api_client, namespace=found.namespace)

    @classmethod
    def from_environment(cls) -> SchedulingClient:
        """The kubeconfig's client if there is one, else the in-cluster one."""
        found = connection.from_environment()
        return cls(found.api_client, namespace=found.namespace)

    @property
    def namespace(self) -> str:
        """The namespace calls use when they name none."""
        return self._namespace

    @property
    def api_client(self) -> Any:
        """The underlying `kubernetes.client.ApiClient`."""
        return self._api_client

    def close(self) -> None:
        """Close the API client's connections."""
        self._api_client.close()

    def __enter__(self) -> SchedulingClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def schedule_job_with_context(
        self, job: str | type[BaseJob], **arguments: Unpack[ScheduleWithContextArguments]
    ) -> ScheduledJobRef:
        """Declare a ScheduledJob running `job` for a tenant and user, and return it.

        Pass exactly one of `cron` (recurring; 5-field Kubernetes or 6/7-field Quartz), `delay`
        (once, that long after creation: a `timedelta` or `"90s"`, `"1h30m"`) or `run_at`
        (once, at an aware datetime). Without `name` the name is derived from the job and a
        hash of the spec, so the same arguments always address the same ScheduledJob.
        Inside an OpenTelemetry span, a one-shot run continues the caller's trace.
        """
        context = manifest.context_of(arguments)
        return self._schedule(job, context, manifest.without_context(arguments))

    def schedule_tenant_job(
        self,
        job: str | type[BaseJob],
        tenant_id: Identifier,
        **arguments: Unpack[ScheduleArguments],
    ) -> ScheduledJobRef:
        """Declare a ScheduledJob for a tenant, acting as the operator's default admin user."""
        return self._schedule(job, {"tenant_id": tenant_id}, arguments)

    def schedule_system_job(
        self, job: str | type[BaseJob], **arguments: Unpack[ScheduleArguments]
    ) -> ScheduledJobRef:
        """Declare a ScheduledJob that acts for no tenant and no user (a system job)."""
        return self._schedule(job, {}, arguments)

    def get(self, name: str, *, namespace: str | None = None) -> ScheduledJobRef:
        """The ScheduledJob `name`; `ScheduledJobNotFoundError` when there is none."""
        where = namespace or self._namespace
        return ScheduledJobRef.from_object(self._read(where, name))

    def trigger(self, name: str, *, namespace: str | None = None, token: str | None = None) -> str:
        """Start one run now (obeying concurrencyPolicy); returns the trigger token.

        Each new token starts exactly one run; passing the same `token` again (a retry)
        starts none. Inside an OpenTelemetry span, the run continues the caller's trace.
        """
        chosen = token or new_trigger_token()
        annotations = {
            contract.TRIGGER_ANNOTATION: chosen,
            # null removes an older call's traceparent: this run must not join that trace.
            contract.TRIGGER_TRACEPARENT_ANNOTATION: tracecontext.current_traceparent(),
        }
        ref = self._merge_patch(
            namespace, name, {"metadata": {"annotations": annotations}}, "trigger"
        )
        _LOGGER.info("Triggered ScheduledJob %s/%s with token %s", ref.namespace, name, chosen)
        return chosen

    def suspend(self, name: str, *, namespace: str | None = None) -> ScheduledJobRef:
        """Hold back new runs (runs in progress continue)."""
        ref = self._merge_patch(namespace, name, {"spec": {"suspend": True}}, "suspend")
        _LOGGER.info("Suspended ScheduledJob %s/%s", ref.namespace, name)
        return ref

    def resume(self, name: str, *, namespace: str | None = None) -> ScheduledJobRef:
        """Let runs start again after `suspend`."""
        ref = self._merge_patch(namespace, name, {"spec": {"suspend": False}}, "resume")
        _LOGGER.info("Resumed ScheduledJob %s/%s", ref.namespace, name)
        return ref

    def delete(self, name: str, *, namespace: str | None = None, missing_ok: bool = False) -> None:
        """Delete the ScheduledJob (its CronJob and runs go with it)."""
        where = namespace or self._namespace
        try:
            self._call(
                "delete",
                where,
                name,
                lambda: self._custom.delete_namespaced_custom_object(
                    contract.API_GROUP,
                    contract.API_VERSION,
                    where,
                    contract.PLURAL,
                    name,
                    _preload_content=False,
                ),
            )
        except ScheduledJobNotFoundError:
            if not missing_ok:
                raise
            return
        _LOGGER.info("Deleted ScheduledJob %s/%s", where, name)

    def _schedule(
        self,
        job: str | type[BaseJob],
        context: ContextArguments,
        arguments: Mapping[str, Any],
    ) -> ScheduledJobRef:
        """What the scheduling calls share: build the spec, name it, apply it."""
        call = manifest.sort_arguments(context, arguments)
        spec = manifest.build_spec(job, options=call.options, **call.spec_arguments)
        name = call.name
        target = manifest.check_name(name) if name is not None else manifest.derive_name(spec)
        if manifest.is_one_shot(spec):
            spec = manifest.with_env(spec, tracecontext.run_environment())
        namespace = call.namespace or self._namespace
        return self._apply(namespace, target, manifest.manifest(target, spec))

    def _apply(self, namespace: str, name: str, body: dict[str, Any]) -> ScheduledJobRef:
        try:
            before: Mapping[str, Any] | None = self._read(namespace, name)
        except ScheduledJobNotFoundError:
            before = None
        applied = _decode(
            self._call(
                "create" if before is None else "update",
                namespace,
                name,
                lambda: self._custom.patch_namespaced_custom_object(
                    contract.API_GROUP,
                    contract.API_VERSION,
                    namespace,
                    contract.PLURAL,
                    name,
                    body,
                    field_manager=FIELD_MANAGER,
                    force=True,
                    _content_type=_APPLY_PATCH,
                    _preload_content=False,
                ),
            )
        )
        ref = ScheduledJobRef.from_object(applied, change=_change(before, applied))
        _LOGGER.info(
            "Applied ScheduledJob %s/%s (%s): job %s, %s",
            namespace,
            name,
            ref.change,
            ref.job,
            _when(ref),
        )
        return ref

    def _read(self, namespace: str, name: str) -> dict[str, Any]:
        return _decode(
            self._call(
                "read",
                namespace,
                name,
                lambda: self._custom.get_namespaced_custom_object(
                    contract.API_GROUP,
                    contract.API_VERSION,
                    namespace,
                    contract.PLURAL,
                    name,
                    _preload_content=False,
                ),
            )
        )

    def _merge_patch(
        self, namespace: str | None, name: str, patch: dict[str, Any], action: str
    ) -> ScheduledJobRef:
        where = namespace or self._namespace
        patched = self._call(
            action,
            where,
            name,
            lambda: self._custom.patch_namespaced_custom_object(
                contract.API_GROUP,
                contract.API_VERSION,
                where,
                contract.PLURAL,
                name,
                patch,
                field_manager=FIELD_MANAGER,
                _content_type=_MERGE_PATCH,
                _preload_content=False,
            ),
        )
        return ScheduledJobRef.from_object(_decode(patched))

    def _call(self, action: str, namespace: str, name: str, call: Callable[[], T]) -> T:
        """Run one API call; every failure leaves as a `SchedulingError` naming the object."""
        try:
            return call()
        except ApiException as error:
            raise from_api_exception(
                error, action=action, namespace=namespace, name=name
            ) from error
        except urllib3.exceptions.HTTPError as error:
            host = getattr(self._api_client.configuration, "host", "?")
            message = (
                f"could not {action} ScheduledJob {namespace}/{name}: the API server at {host} "
                f"did not answer ({error}). Check the kubeconfig and that the cluster is up."
            )
            raise SchedulingError(message) from error


def _decode(response: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(response.data)
    return decoded


def _when(ref: ScheduledJobRef) -> str:
    if ref.schedule is not None:
        return f"schedule {ref.schedule}"
    if ref.run_at is not None:
        return f"once at {ref.run_at}"
    return f"once after {ref.delay}"


def _applied_fields(scheduledjob: Mapping[str, Any]) -> tuple[Any, ...]:
    metadata = scheduledjob.get("metadata") or {}
    return (scheduledjob.get("spec"), metadata.get("labels"), metadata.get("annotations"))


def _change(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> Change:
    """What an apply did to what it can change: spec, labels, annotations.

    Not the resourceVersion: the operator's status updates change it too, and one can land
    between our read and our apply.
    """
    if before is None:
        return "created"
    return "unchanged" if _applied_fields(before) == _applied_fields(after) else "configured"
