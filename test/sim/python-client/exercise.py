# The official Python client (Debian python3-kubernetes) against the simulated API server: what it sees must be what
# kube-apiserver would show it. Prints one JSON line per check ({"check", "ok", "error"}); run by python-client.test.ts.
# Usage: KUBECONFIG=... CSR_REQUEST=<base64 PEM CSR> python3 exercise.py

import json
import os

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from checks import expect, run_checks

NS = "default"
config.load_kube_config(config_file=os.environ["KUBECONFIG"])
api_client = client.ApiClient()
core = client.CoreV1Api(api_client)
certs = client.CertificatesV1Api(api_client)


def merge_patch_client():
    """The Python client sends dict patches as strategic merge; its documented way to another type is a default header."""
    other = client.ApiClient()
    other.set_default_header("Content-Type", "application/merge-patch+json")
    return client.CoreV1Api(other)


def configmap(name, labels=None, data=None):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def api_error(call):
    """The ApiException a call raises, with its Status body decoded."""
    try:
        call()
    except ApiException as error:
        return error, json.loads(error.body)
    raise AssertionError("expected an ApiException")


def check_list_selectors_and_paging():
    for i in range(5):
        core.create_namespaced_config_map(NS, configmap(f"py-{i}", {"app": "py", "idx": str(i)}, {"i": str(i)}))
    labelled = core.list_namespaced_config_map(NS, label_selector="app=py,idx in (1,3)")
    expect(sorted(c.metadata.name for c in labelled.items) == ["py-1", "py-3"], f"label selector: {[c.metadata.name for c in labelled.items]}")
    named = core.list_namespaced_config_map(NS, field_selector="metadata.name=py-2")
    expect([c.metadata.name for c in named.items] == ["py-2"], "field selector")
    seen, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map(NS, label_selector="app=py", limit=2, _continue=token)
        seen += [c.metadata.name for c in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    expect(seen == [f"py-{i}" for i in range(5)] and pages == 3, f"paging: {seen} in {pages} pages")


def check_watch_with_timeout():
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, configmap("py-watched", {"watched": "yes"}))
    events = []
    w = watch.Watch()
    # The stream sends watch=True (Python's spelling) and must end by itself after timeoutSeconds.
    for event in w.stream(core.list_namespaced_config_map, NS, label_selector="watched=yes", resource_version=rv, timeout_seconds=1):
        events.append((event["type"], event["object"].metadata.name))
    expect(events == [("ADDED", "py-watched")], f"watch events: {events}")
    initial = [(e["type"], e["object"].metadata.name) for e in w.stream(core.list_namespaced_config_map, NS, label_selector="watched=yes", timeout_seconds=1)]
    expect(initial == [("ADDED", "py-watched")], f"watch without resourceVersion: {initial}")


def check_csr_approval():
    body = client.V1CertificateSigningRequest(
        metadata=client.V1ObjectMeta(name="py-csr"),
        spec=client.V1CertificateSigningRequestSpec(request=os.environ["CSR_REQUEST"], signer_name="example.com/python", usages=["digital signature", "client auth"]),
    )
    created = certs.create_certificate_signing_request(body)
    expect(created.metadata.uid and created.spec.username, "create fills uid and username")
    created.status = client.V1CertificateSigningRequestStatus(
        conditions=[client.V1CertificateSigningRequestCondition(type="Approved", status="True", reason="PythonTest", message="approved by the Python client")]
    )
    approved = certs.replace_certificate_signing_request_approval("py-csr", created)
    condition = approved.status.conditions[0]
    expect((condition.type, condition.status, condition.reason) == ("Approved", "True", "PythonTest"), f"approval: {condition}")
    expect(condition.last_update_time is not None, "approval condition has lastUpdateTime")
    status = certs.read_certificate_signing_request_status("py-csr")
    expect([c.type for c in status.status.conditions] == ["Approved"], "status read after approval")
    denied = certs.read_certificate_signing_request("py-csr")
    denied.status.conditions.append(client.V1CertificateSigningRequestCondition(type="Denied", status="True", reason="Late", message="both"))
    error, status_body = api_error(lambda: certs.replace_certificate_signing_request_approval("py-csr", denied))
    expect(error.status == 422 and status_body["reason"] == "Invalid", f"approved and denied: {error.status} {status_body.get('message')}")


def check_patches():
    core.create_namespaced_config_map(NS, configmap("py-patch", {"a": "1"}, {"k": "v"}))
    strategic = core.patch_namespaced_config_map("py-patch", NS, {"metadata": {"labels": {"b": "2"}}, "data": {"s": "strategic"}})
    expect(strategic.metadata.labels == {"a": "1", "b": "2"} and strategic.data == {"k": "v", "s": "strategic"}, f"strategic: {strategic.data}")
    merged = merge_patch_client().patch_namespaced_config_map("py-patch", NS, {"data": {"k": None, "m": "merge"}})
    expect(merged.data == {"s": "strategic", "m": "merge"}, f"merge: {merged.data}")
    json_patched = core.patch_namespaced_config_map("py-patch", NS, [{"op": "replace", "path": "/data/m", "value": "json"}, {"op": "remove", "path": "/metadata/labels/a"}])
    expect(json_patched.data["m"] == "json" and json_patched.metadata.labels == {"b": "2"}, f"json patch: {json_patched.data}")
    error, status_body = api_error(lambda: core.patch_namespaced_config_map("py-patch", NS, [{"op": "test", "path": "/data/m", "value": "nope"}]))
    expect(error.status == 422 and status_body["kind"] == "Status", f"failed json-patch test op: {error.status}")


def check_dry_run():
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    created = core.create_namespaced_config_map(NS, configmap("py-dry", data={"x": "1"}), dry_run="All")
    expect(created.metadata.name == "py-dry" and created.metadata.uid, "dry-run create answers the object")
    patched = core.patch_namespaced_config_map("py-patch", NS, {"data": {"dry": "yes"}}, dry_run="All")
    expect(patched.data.get("dry") == "yes", "dry-run patch answers the patched object")
    deleted = core.delete_namespaced_config_map("py-patch", NS, dry_run="All")
    expect(deleted.status == "Success", f"dry-run delete answers a Success Status: {deleted}")
    expect(core.list_namespaced_config_map(NS).metadata.resource_version == rv, "dry runs stored nothing")
    api_error(lambda: core.read_namespaced_config_map("py-dry", NS))
    expect("dry" not in core.read_namespaced_config_map("py-patch", NS).data, "dry-run patch stored nothing")


def check_errors():
    error, status_body = api_error(lambda: core.read_namespaced_config_map("py-missing", NS))
    expect(error.status == 404 and status_body["reason"] == "NotFound" and status_body["details"]["kind"] == "configmaps", f"404: {status_body}")
    error, status_body = api_error(lambda: core.create_namespaced_config_map(NS, configmap("py-0")))
    expect(error.status == 409 and status_body["reason"] == "AlreadyExists", f"409 exists: {status_body}")
    stale = core.read_namespaced_config_map("py-1", NS)
    core.patch_namespaced_config_map("py-1", NS, {"data": {"moved": "on"}})
    error, status_body = api_error(lambda: core.replace_namespaced_config_map("py-1", NS, stale))
    expect(error.status == 409 and status_body["reason"] == "Conflict", f"409 conflict: {status_body}")
    error, status_body = api_error(lambda: core.create_namespaced_config_map(NS, configmap("Not_A_Name")))
    expect(error.status == 422 and status_body["reason"] == "Invalid" and status_body["details"]["causes"][0]["field"] == "metadata.name", f"422: {status_body}")
    error, status_body = api_error(lambda: core.list_namespaced_config_map(NS, label_selector="app in (py"))
    expect(error.status == 400 and status_body["reason"] == "BadRequest", f"400 selector: {status_body}")
    deleted = core.delete_namespaced_config_map("py-4", NS)
    expect(deleted.status == "Success" and deleted.details.name == "py-4", f"delete answers a Success Status: {deleted}")


CHECKS = [check_list_selectors_and_paging, check_watch_with_timeout, check_csr_approval, check_patches, check_dry_run, check_errors]

run_checks(CHECKS)
