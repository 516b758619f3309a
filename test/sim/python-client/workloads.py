# The official Python client (Debian python3-kubernetes) on the sim's newer endpoints: Jobs run by the simulated kubelet, pod logs,
# eviction, delete propagation, CronJobs, Leases, ConfigMaps/Secrets, access reviews, impersonation, watch expiry and chunked lists.
# One JSON line per check. Usage: KUBECONFIG=... NS=<namespace, with ConfigMap kubectl-made and Secret kubectl-secret made by kubectl>
# IMAGE=<image the sim's kubelet runs as bash -c> CHURN=<writes that outrun the store's history> [ONLY=check,...] python3 workloads.py

import base64
import json
import os
import time
from datetime import datetime, timezone

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from checks import expect, run_checks

NS = os.environ["NS"]
IMAGE = os.environ["IMAGE"]
config.load_kube_config(config_file=os.environ["KUBECONFIG"])
api_client = client.ApiClient()
core = client.CoreV1Api(api_client)
batch = client.BatchV1Api(api_client)
coordination = client.CoordinationV1Api(api_client)
authz = client.AuthorizationV1Api(api_client)
rbac = client.RbacAuthorizationV1Api(api_client)


def api_error(call):
    """The ApiException a call raises, with its Status body decoded."""
    try:
        call()
    except ApiException as error:
        return error, json.loads(error.body)
    raise AssertionError("expected an ApiException")


def job(name, script, backoff_limit=0):
    container = client.V1Container(name="main", image=IMAGE, args=[script])
    template = client.V1PodTemplateSpec(spec=client.V1PodSpec(restart_policy="Never", containers=[container]))
    return client.V1Job(metadata=client.V1ObjectMeta(name=name), spec=client.V1JobSpec(backoff_limit=backoff_limit, template=template))


def job_pod(name, phase=None, deadline=30):
    """The (first) pod of Job `name`, found by the label the Job controller sets, once in `phase` (a name or a tuple; any when None)."""
    end = time.time() + deadline
    while time.time() < end:
        pods = core.list_namespaced_pod(NS, label_selector=f"batch.kubernetes.io/job-name={name}").items
        for pod in pods:
            if phase is None or pod.status.phase in ((phase,) if isinstance(phase, str) else phase):
                return pod
        time.sleep(0.05)
    raise AssertionError(f"no pod of job {name} in phase {phase}")


def check_job_runs_to_completion():
    created = batch.create_namespaced_job(NS, job("py-job", "echo hello from the job; echo second line"))
    expect(created.metadata.uid and created.spec.template.spec.containers[0].image == IMAGE, "create answers the Job")
    spec = created.spec
    defaults = (spec.completions, spec.parallelism, spec.completion_mode, spec.suspend, spec.pod_replacement_policy if hasattr(spec, "pod_replacement_policy") else "TerminatingOrFailed")
    expect(defaults == (1, 1, "NonIndexed", False, "TerminatingOrFailed"), f"SetDefaults_Job: {defaults}")
    uid = created.metadata.uid
    expect(spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}, f"generated selector: {spec.selector}")
    expect(spec.template.metadata.labels.get("batch.kubernetes.io/job-name") == "py-job" and spec.template.metadata.labels.get("controller-uid") == uid, f"template labels: {spec.template.metadata.labels}")
    conditions = []
    w = watch.Watch()
    for event in w.stream(batch.list_namespaced_job, NS, field_selector="metadata.name=py-job", resource_version=created.metadata.resource_version, timeout_seconds=30):
        status = event["object"].status
        conditions = [(c.type, c.status) for c in (status.conditions or [])]
        if ("Complete", "True") in conditions:
            w.stop()
    expect(("Complete", "True") in conditions, f"job conditions: {conditions}")
    done = batch.read_namespaced_job("py-job", NS)
    expect(done.status.succeeded == 1 and done.status.completion_time is not None and done.status.start_time is not None, f"status: {done.status}")
    listed = batch.list_namespaced_job(NS)
    expect("py-job" in [j.metadata.name for j in listed.items], "list shows the Job")
    template = created.spec.template.spec
    container = template.containers[0]
    pod_defaults = (template.dns_policy, template.scheduler_name, template.security_context is not None, container.image_pull_policy, container.termination_message_path, container.termination_message_policy)
    expect(pod_defaults == ("ClusterFirst", "default-scheduler", True, "IfNotPresent", "/dev/termination-log", "File"), f"SetDefaults_PodSpec/Container: {pod_defaults}")
    pod = job_pod("py-job", "Succeeded")
    expect(pod.spec.enable_service_links is True and pod.spec.containers[0].image_pull_policy == "IfNotPresent", f"pod defaults: {pod.spec.enable_service_links}")
    expect(pod.metadata.owner_references[0].kind == "Job" and pod.metadata.owner_references[0].controller, f"owner: {pod.metadata.owner_references}")
    log = core.read_namespaced_pod_log(pod.metadata.name, NS)
    expect(log == "hello from the job\nsecond line\n", f"log: {log!r}")
    tail = core.read_namespaced_pod_log(pod.metadata.name, NS, tail_lines=1)
    expect(tail == "second line\n", f"tail: {tail!r}")
    named = core.read_namespaced_pod_log(pod.metadata.name, NS, container="main")
    expect(named == log, "the log of the container named")
    error, status_body = api_error(lambda: core.read_namespaced_pod_log(pod.metadata.name, NS, container="sidecar"))
    expect(error.status == 400 and status_body["message"] == f"container sidecar is not valid for pod {pod.metadata.name}", f"unknown container: {status_body}")
    error, status_body = api_error(lambda: core.read_namespaced_pod_log(pod.metadata.name, NS, tail_lines=-1))
    expect(error.status == 422 and status_body["details"]["kind"] == "PodLogOptions" and status_body["details"]["causes"][0]["field"] == "tailLines", f"negative tailLines: {status_body}")


def check_log_follow():
    batch.create_namespaced_job(NS, job("py-follow", "for i in 1 2 3; do echo line $i; sleep 0.3; done"))
    pod = job_pod("py-follow", ("Running", "Succeeded"))  # a loaded machine may see it only once done: follow then ends at once
    response = core.read_namespaced_pod_log(pod.metadata.name, NS, follow=True, _preload_content=False)
    chunks = [chunk for chunk in response.stream(64)]
    response.release_conn()
    text = b"".join(chunks).decode()
    expect(text == "line 1\nline 2\nline 3\n", f"followed log: {text!r}")
    # The client's documented way to follow a log line by line streams the same lines.
    lines = list(watch.Watch().stream(core.read_namespaced_pod_log, pod.metadata.name, NS, follow=True))
    expect(lines == ["line 1", "line 2", "line 3"], f"watch-streamed log: {lines}")


def check_eviction():
    batch.create_namespaced_job(NS, job("py-evict", "sleep 30", backoff_limit=1))
    pod = job_pod("py-evict", "Running")
    name = pod.metadata.name
    error, status_body = api_error(lambda: core.create_namespaced_pod_eviction(name, NS, client.V1Eviction(metadata=client.V1ObjectMeta(name="py-other", namespace=NS))))
    expect(error.status == 400 and status_body["message"] == "name in URL does not match name in Eviction object", f"eviction named otherwise: {status_body}")
    expect(core.read_namespaced_pod(name, NS).metadata.deletion_timestamp is None, "a refused eviction leaves the pod")
    answer = core.create_namespaced_pod_eviction(name, NS, client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=NS)))
    expect(answer.kind == "Status" or answer.metadata is not None, f"eviction answer: {answer}")
    try:
        evicted = core.read_namespaced_pod(name, NS)
        conditions = [(c.type, c.reason) for c in (evicted.status.conditions or [])]
        expect(("DisruptionTarget", "EvictionByEvictionAPI") in conditions, f"conditions: {conditions}")
        expect(evicted.metadata.deletion_timestamp is not None, "an evicted pod is being deleted")
    except ApiException as error:
        expect(error.status == 404, f"evicted pod: {error.status}")
    error, status_body = api_error(lambda: core.create_namespaced_pod_eviction("py-no-such-pod", NS, client.V1Eviction(metadata=client.V1ObjectMeta(name="py-no-such-pod", namespace=NS))))
    expect(error.status == 404 and status_body["reason"] == "NotFound", f"evict missing pod: {status_body}")


def check_delete_propagation():
    batch.create_namespaced_job(NS, job("py-gc", "sleep 30"))
    batch.create_namespaced_job(NS, job("py-orphan", "sleep 30"))
    gc_pod, orphan_pod = job_pod("py-gc", "Running").metadata.name, job_pod("py-orphan", "Running").metadata.name
    error, status_body = api_error(lambda: batch.delete_namespaced_job("py-gc", NS, propagation_policy="Sideways"))
    expect(error.status == 422 and status_body["details"]["causes"][0]["field"] == "propagationPolicy", f"unknown policy: {status_body}")
    batch.delete_namespaced_job("py-gc", NS, propagation_policy="Background")
    try:
        expect(core.read_namespaced_pod(gc_pod, NS).metadata.deletion_timestamp is not None, "Background: the Job's pod is being deleted")
    except ApiException as error:
        expect(error.status == 404, f"Background: {error.status}")
    # batch/v1 Jobs orphan their pods when no policy is given (kubectl sends Background itself).
    batch.delete_namespaced_job("py-orphan", NS)
    orphan = core.read_namespaced_pod(orphan_pod, NS)
    expect(orphan.metadata.deletion_timestamp is None and not orphan.metadata.owner_references, f"orphaned pod: {orphan.metadata.owner_references}")
    core.delete_namespaced_pod(orphan_pod, NS, grace_period_seconds=0)


def check_cronjob():
    template = client.V1JobTemplateSpec(spec=job("unused", "true").spec)
    body = client.V1CronJob(metadata=client.V1ObjectMeta(name="py-cron"), spec=client.V1CronJobSpec(schedule="*/5 * * * *", job_template=template))
    created = batch.create_namespaced_cron_job(NS, body)
    expect(created.spec.suspend is False and created.spec.concurrency_policy == "Allow", f"defaults: {created.spec.suspend} {created.spec.concurrency_policy}")
    expect(created.spec.successful_jobs_history_limit == 3 and created.spec.failed_jobs_history_limit == 1, "history limit defaults")
    listed = batch.list_namespaced_cron_job(NS)
    expect([c.metadata.name for c in listed.items] == ["py-cron"], f"list: {[c.metadata.name for c in listed.items]}")
    suspended = batch.patch_namespaced_cron_job("py-cron", NS, {"spec": {"suspend": True}})
    expect(suspended.spec.suspend is True and suspended.metadata.generation == 2, f"suspend: {suspended.spec.suspend} gen {suspended.metadata.generation}")
    expect(batch.read_namespaced_cron_job("py-cron", NS).spec.suspend is True, "suspend stored")
    error, status_body = api_error(lambda: batch.patch_namespaced_cron_job("py-cron", NS, {"spec": {"schedule": "not a schedule"}}))
    expect(error.status == 422 and status_body["reason"] == "Invalid", f"bad schedule: {status_body}")


def check_lease_conflict():
    spec = client.V1LeaseSpec(holder_identity="py-a", lease_duration_seconds=15)
    created = coordination.create_namespaced_lease(NS, client.V1Lease(metadata=client.V1ObjectMeta(name="py-lease"), spec=spec))
    expect(created.spec.holder_identity == "py-a" and created.spec.lease_duration_seconds == 15, f"lease: {created.spec}")
    mine = coordination.read_namespaced_lease("py-lease", NS)
    mine.spec.holder_identity = "py-b"
    mine.spec.renew_time = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    replaced = coordination.replace_namespaced_lease("py-lease", NS, mine)
    expect(replaced.spec.holder_identity == "py-b" and replaced.metadata.resource_version != mine.metadata.resource_version, "replace takes")
    expect(replaced.spec.renew_time == mine.spec.renew_time, f"renewTime keeps microseconds: {replaced.spec.renew_time}")
    error, status_body = api_error(lambda: coordination.replace_namespaced_lease("py-lease", NS, mine))
    expect(error.status == 409 and status_body["reason"] == "Conflict" and status_body["details"]["kind"] == "leases", f"stale replace: {status_body}")


def check_configmap_binary_data():
    raw = bytes(range(256))
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-binary"), data={"text": "plain"}, binary_data={"blob": base64.b64encode(raw).decode()})
    core.create_namespaced_config_map(NS, body)
    back = core.read_namespaced_config_map("py-binary", NS)
    expect(base64.b64decode(back.binary_data["blob"]) == raw and back.data == {"text": "plain"}, "binaryData round trip")
    empty = core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-empty")))
    expect(empty.metadata.managed_fields is None, f"no managed fields when no field is set: {empty.metadata.managed_fields}")
    # Created by kubectl (protobuf) before this script: read back as a JSON client would from kube-apiserver.
    by_kubectl = core.read_namespaced_config_map("kubectl-made", NS)
    meta = by_kubectl.metadata
    expect((meta.generate_name, meta.generation, by_kubectl.data) == (None, None, {"k": "v"}), f"kubectl's ConfigMap: {meta.generate_name!r} {meta.generation!r} {by_kubectl.data}")
    expect([m.manager for m in meta.managed_fields] == ["kubectl-create"], f"kubectl's manager: {meta.managed_fields}")
    error, status_body = api_error(lambda: core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-both"), data={"k": "a"}, binary_data={"k": "Yg=="})))
    expect(error.status == 422 and status_body["reason"] == "Invalid" and status_body["details"]["causes"][0]["field"] == "data[k]", f"duplicate key in data and binaryData: {status_body}")
    error, status_body = api_error(lambda: core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-bad-key"), binary_data={"a/b": "Yg=="})))
    expect(error.status == 422 and status_body["details"]["causes"][0]["field"] == "binaryData[a/b]", f"invalid key: {status_body}")


def check_secret_type_default():
    created = core.create_namespaced_secret(NS, client.V1Secret(metadata=client.V1ObjectMeta(name="py-secret"), string_data={"token": "t"}))
    expect(created.type == "Opaque" and created.data == {"token": base64.b64encode(b"t").decode()} and created.string_data is None, f"secret: {created.type} {created.data}")
    expect(core.read_namespaced_secret("kubectl-secret", NS).type == "Opaque", "kubectl's Secret (protobuf, type \"\") is Opaque too")


def self_subject_review(api):
    """POST a SelfSubjectReview; the installed client (22.x) predates its typed API, so through the client's own call_api."""
    data, status, _ = api.call_api(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews", "POST", body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        header_params={"Content-Type": "application/json", "Accept": "application/json"}, response_type="object", auth_settings=["BearerToken"], _return_http_data_only=False)
    expect(status == 201, f"SelfSubjectReview status {status}")
    return data


def check_access_reviews():
    attrs = client.V1ResourceAttributes(verb="delete", resource="pods", namespace=NS)
    review = authz.create_self_subject_access_review(client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attrs)))
    expect(review.status.allowed is True and review.spec.resource_attributes.verb == "delete", f"SSAR: {review.status}")
    me = self_subject_review(api_client)
    expect(me["kind"] == "SelfSubjectReview" and me["status"]["userInfo"]["username"], f"SSR: {me}")
    expect("system:authenticated" in me["status"]["userInfo"]["groups"], f"SSR groups: {me}")


def impersonating(user, group):
    """A client sending kube's impersonation headers on every request (its default headers hold one value per name)."""
    other = client.ApiClient(client.Configuration.get_default_copy())
    other.set_default_header("Impersonate-User", user)
    other.set_default_header("Impersonate-Group", group)
    return other


def check_impersonation():
    as_jane = impersonating("jane", "py-team")
    me = self_subject_review(as_jane)
    expect(me["status"]["userInfo"]["username"] == "jane" and "py-team" in me["status"]["userInfo"]["groups"], f"impersonated SSR: {me}")
    jane_core = client.CoreV1Api(as_jane)
    error, status_body = api_error(lambda: jane_core.list_namespaced_config_map(NS))
    expect(error.status == 403 and status_body["reason"] == "Forbidden" and 'User "jane"' in status_body["message"], f"403: {status_body}")
    review = client.AuthorizationV1Api(as_jane).create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(verb="list", resource="configmaps", namespace=NS))))
    expect(review.status.allowed is False, f"SSAR before binding: {review.status}")
    rbac.create_namespaced_role(NS, client.V1Role(metadata=client.V1ObjectMeta(name="py-reader"), rules=[client.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["get", "list"])]))
    subject = client.V1Subject(kind="Group", name="py-team", api_group="rbac.authorization.k8s.io")
    rbac.create_namespaced_role_binding(NS, client.V1RoleBinding(metadata=client.V1ObjectMeta(name="py-reader"), role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="py-reader"), subjects=[subject]))
    listed = jane_core.list_namespaced_config_map(NS)
    expect("py-binary" in [c.metadata.name for c in listed.items], "list allowed by the binding")
    review = client.AuthorizationV1Api(as_jane).create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(verb="list", resource="configmaps", namespace=NS))))
    expect(review.status.allowed is True, f"SSAR after binding: {review.status}")
    error, status_body = api_error(lambda: jane_core.delete_namespaced_config_map("py-binary", NS))
    expect(error.status == 403, f"delete stays forbidden: {status_body}")


def check_watch_expired():
    old = core.list_namespaced_config_map(NS).metadata.resource_version
    for i in range(int(os.environ.get("CHURN", "0"))):
        core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"py-churn-{i}", labels={"churn": "yes"})))
    w = watch.Watch()
    try:
        for _ in w.stream(core.list_namespaced_config_map, NS, resource_version=old, timeout_seconds=5):
            pass
        raise AssertionError("a watch from a compacted resourceVersion streamed instead of failing")
    except ApiException as error:
        expect(error.status == 410 and "Expired" in (error.reason or ""), f"watch expiry: {error.status} {error.reason}")
    error, status_body = api_error(lambda: core.list_namespaced_config_map(NS, resource_version=old, resource_version_match="Exact"))
    expect(error.status == 410 and status_body["reason"] == "Expired", f"exact list at a compacted rv: {status_body}")


def check_chunked_list():
    names = [c.metadata.name for c in core.list_namespaced_config_map(NS).items]
    first = core.list_namespaced_config_map(NS, limit=3)
    expect(len(first.items) == 3 and first.metadata._continue, f"first page: {len(first.items)} continue {first.metadata._continue!r}")
    expect(first.metadata.remaining_item_count == len(names) - 3, f"remainingItemCount {first.metadata.remaining_item_count} of {len(names)}")
    seen, token = [c.metadata.name for c in first.items], first.metadata._continue
    while token:
        page = core.list_namespaced_config_map(NS, limit=3, _continue=token)
        expect(page.metadata.resource_version == first.metadata.resource_version, "every page reports the first page's resourceVersion")
        seen += [c.metadata.name for c in page.items]
        token = page.metadata._continue
    expect(seen == names, f"pages in order: {len(seen)} vs {len(names)}")
    labelled = core.list_namespaced_config_map(NS, limit=2, label_selector="churn=yes")
    expect(labelled.metadata._continue and labelled.metadata.remaining_item_count is None, "no remainingItemCount with a selector")
    error, status_body = api_error(lambda: core.list_namespaced_config_map(NS, limit=3, _continue="not-a-token"))
    expect(error.status == 400 and status_body["reason"] == "BadRequest", f"invalid continue: {status_body}")
    for i in range(int(os.environ.get("CHURN", "0"))):
        core.patch_namespaced_config_map(f"py-churn-{i}", NS, {"data": {"n": str(i)}})
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="zz-after-expiry")))
    error, status_body = api_error(lambda: core.list_namespaced_config_map(NS, limit=3, _continue=first.metadata._continue))
    expect(error.status == 410 and status_body["reason"] == "Expired", f"expired continue: {status_body}")
    # kube's 410 carries a token that continues after the same key from the latest snapshot (an inconsistent list).
    token, rest = status_body["metadata"].get("continue"), []
    expect(token and "inconsistent list" in status_body["message"], f"inconsistent continuation offered: {status_body}")
    while token:
        page = core.list_namespaced_config_map(NS, limit=50, _continue=token)
        rest += [c.metadata.name for c in page.items]
        token = page.metadata._continue
    expect(rest == names[3:] + ["zz-after-expiry"], f"the remainder from the latest snapshot: {rest[-3:]}")
    jobs = batch.list_namespaced_job(NS, limit=1)
    expect(len(jobs.items) == 1 and jobs.metadata._continue, "Jobs page too")


CHECKS = [
    check_job_runs_to_completion,
    check_log_follow,
    check_eviction,
    check_delete_propagation,
    check_cronjob,
    check_lease_conflict,
    check_configmap_binary_data,
    check_secret_type_default,
    check_access_reviews,
    check_impersonation,
    check_watch_expired,
    check_chunked_list,
]

run_checks(CHECKS)
