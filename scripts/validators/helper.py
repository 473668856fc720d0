#!/usr/bin/env python3
"""Helpers for scripts/validate-out.sh; run with the validators' venv python (PyYAML).

Each subcommand prints findings as `FILE: message` lines and exits 1 if there are any.
Nothing here replaces a third-party validator: these are the glue (routing objects to the right
validator, preparing inputs the validators need) plus the few checks no third-party tool covers,
each of which says so in its output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable

import yaml


def rel(path: str | Path) -> str:
    """Path as given on the command line (validate-out.sh passes paths relative to DIR)."""
    return str(path)


def load_yaml_docs(path: str | Path) -> list[Any]:
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


# --------------------------------------------------------------------------------------------
# k8s-route: split Kubernetes manifests between kubernetes-validate (built-in kinds) and the
# CRD schemas of scripts/validators/crd-schemas.txt.


def read_crd_table(path: str) -> list[dict[str, str]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            api_version, kind, package, module, ts_type = line.split()
            rows.append(
                {
                    "apiVersion": api_version,
                    "kind": kind,
                    "package": package,
                    "module": module,
                    "type": ts_type,
                    "schema": f"{api_version.replace('/', '_')}_{kind}.json",
                }
            )
    return rows


# Versions a CRD group no longer serves, with the reason; anything else unlisted gets a generic
# message.
RETIRED_CRD_VERSIONS = {
    "external-secrets.io/v1beta1": "external-secrets.io/v1beta1 is no longer served by External "
    "Secrets Operator >= 0.17; use external-secrets.io/v1",
}


def cmd_k8s_route(args: argparse.Namespace) -> int:
    table = read_crd_table(args.crd_table)
    crd_groups = {row["apiVersion"].split("/")[0] for row in table}
    by_key = {(row["apiVersion"], row["kind"]): row for row in table}
    out_lines: list[str] = []
    manifest: list[dict[str, Any]] = []
    errors = 0
    for f in args.files:
        try:
            docs = load_yaml_docs(f)
        except yaml.YAMLError as exc:
            print(f"{rel(f)}: not valid YAML: {exc}".replace("\n", " "))
            errors += 1
            continue
        if not docs:
            print(f"{rel(f)}: no Kubernetes object in file")
            errors += 1
            continue
        crd_docs = []
        file_ok = True
        for doc in docs:
            if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
                print(f"{rel(f)}: document without apiVersion/kind")
                errors += 1
                file_ok = False
                continue
            api_version, kind = str(doc["apiVersion"]), str(doc["kind"])
            group = api_version.split("/")[0] if "/" in api_version else ""
            if group in crd_groups:
                row = by_key.get((api_version, kind))
                if row is None:
                    known = ", ".join(
                        f"{r['apiVersion']} {r['kind']}" for r in table if r["apiVersion"].startswith(group + "/")
                    )
                    reason = RETIRED_CRD_VERSIONS.get(api_version, "no schema for it")
                    print(f"{rel(f)}: {api_version} {kind}: {reason} (schemas available: {known})")
                    errors += 1
                    file_ok = False
                    continue
                crd_docs.append((row, doc))
        if not file_ok:
            continue
        if crd_docs and len(docs) > 1:
            print(f"{rel(f)}: custom resource in a multi-document file; expected one object per file")
            errors += 1
            continue
        if crd_docs:
            row, doc = crd_docs[0]
            out_lines.append(f"crd\t{f}\t{row['schema']}\t{row['apiVersion']} {row['kind']}")
            manifest.append({"file": rel(f), "package": row["package"], "module": row["module"],
                             "kind": row["kind"], "object": doc})
        else:
            out_lines.append(f"builtin\t{f}")
    with open(args.routes, "w", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in out_lines))
    with open(args.manifest, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh)
    return 1 if errors else 0


# --------------------------------------------------------------------------------------------
# kustomize-coverage: every manifest in the folder is listed in kustomization.yaml and vice versa.


def cmd_kustomize_coverage(args: argparse.Namespace) -> int:
    kdir = Path(args.dir)
    kfile = kdir / "kustomization.yaml"
    if not kfile.is_file():
        print(f"{rel(kfile)}: missing (every kubernetes/ folder needs a kustomization.yaml)")
        return 1
    data = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
    listed = set()
    for res in data.get("resources") or []:
        listed.add(os.path.normpath(str(res)))
    present = {
        p.name for p in kdir.iterdir()
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.name not in ("kustomization.yaml", "kustomization.yml")
    }
    errors = 0
    for name in sorted(present - listed):
        print(f"{rel(kdir / name)}: not listed in resources: of {rel(kfile)}")
        errors += 1
    return 1 if errors else 0


# --------------------------------------------------------------------------------------------
# prom-sd: Debian's promtool is built without Kubernetes service discovery, so it rejects
# kubernetes_sd_configs. Remove those blocks (writing a copy for `promtool check config`) and check
# their fields against the kubernetes_sd_config documented in the Prometheus configuration
# reference (docs/configuration/configuration.md, `<kubernetes_sd_config>`).

K8S_SD_ROLES = {"node", "service", "pod", "endpoints", "endpointslice", "ingress"}
# HTTP client options (shared by every HTTP-based SD) that kubernetes_sd_config accepts.
K8S_SD_HTTP_FIELDS = {
    "basic_auth", "authorization", "oauth2", "proxy_url", "no_proxy", "proxy_from_environment",
    "proxy_connect_header", "follow_redirects", "enable_http2", "tls_config",
}
K8S_SD_FIELDS = {"api_server", "role", "kubeconfig_file", "namespaces", "selectors", "attach_metadata"} | K8S_SD_HTTP_FIELDS
# Selector roles each role accepts (Prometheus discovery/kubernetes SDConfig.UnmarshalYAML).
K8S_SD_SELECTOR_ROLES = {
    "pod": {"pod"},
    "service": {"service"},
    "endpoints": {"pod", "service", "endpoints"},
    "endpointslice": {"pod", "service", "endpointslice"},
    "node": {"node"},
    "ingress": {"ingress"},
}
K8S_SD_ATTACH_METADATA_ROLES = {"pod", "endpoints", "endpointslice"}


def check_k8s_sd(where: str, sd: Any) -> list[str]:
    errs: list[str] = []
    if not isinstance(sd, dict):
        return [f"{where}: must be a mapping"]
    for key in sorted(set(sd) - K8S_SD_FIELDS):
        errs.append(f"{where}: unknown field {key!r} (kubernetes_sd_config fields: {', '.join(sorted(K8S_SD_FIELDS))})")
    role = sd.get("role")
    if role is None:
        errs.append(f"{where}: role missing (one of: {', '.join(sorted(K8S_SD_ROLES))})")
    elif role not in K8S_SD_ROLES:
        errs.append(f"{where}: unknown role {role!r} (one of: {', '.join(sorted(K8S_SD_ROLES))})")
    if "api_server" in sd and "kubeconfig_file" in sd:
        errs.append(f"{where}: api_server and kubeconfig_file are mutually exclusive")
    for key in ("api_server", "kubeconfig_file"):
        if key in sd and not isinstance(sd[key], str):
            errs.append(f"{where}.{key}: must be a string")
    if "api_server" not in sd and "kubeconfig_file" not in sd and K8S_SD_HTTP_FIELDS & set(sd):
        errs.append(f"{where}: custom HTTP client configuration needs an explicit api_server")
    if "basic_auth" in sd and "authorization" in sd:
        errs.append(f"{where}: basic_auth and authorization are mutually exclusive")
    ns = sd.get("namespaces")
    if ns is not None:
        if not isinstance(ns, dict):
            errs.append(f"{where}.namespaces: must be a mapping")
        else:
            for key in sorted(set(ns) - {"own_namespace", "names"}):
                errs.append(f"{where}.namespaces: unknown field {key!r} (own_namespace, names)")
            if "own_namespace" in ns and not isinstance(ns["own_namespace"], bool):
                errs.append(f"{where}.namespaces.own_namespace: must be a boolean")
            names = ns.get("names")
            if names is not None and not (isinstance(names, list) and all(isinstance(n, str) and n for n in names)):
                errs.append(f"{where}.namespaces.names: must be a list of namespace names")
    am = sd.get("attach_metadata")
    if am is not None:
        if not isinstance(am, dict):
            errs.append(f"{where}.attach_metadata: must be a mapping")
        else:
            for key in sorted(set(am) - {"node"}):
                errs.append(f"{where}.attach_metadata: unknown field {key!r} (node)")
            if "node" in am and not isinstance(am["node"], bool):
                errs.append(f"{where}.attach_metadata.node: must be a boolean")
            if am.get("node") and role in K8S_SD_ROLES and role not in K8S_SD_ATTACH_METADATA_ROLES:
                errs.append(f"{where}.attach_metadata.node: valid only for roles {', '.join(sorted(K8S_SD_ATTACH_METADATA_ROLES))}")
    selectors = sd.get("selectors")
    if selectors is not None:
        if not isinstance(selectors, list):
            errs.append(f"{where}.selectors: must be a list")
        else:
            allowed = set(K8S_SD_SELECTOR_ROLES.get(role, set()))
            if role == "pod" and isinstance(am, dict) and am.get("node") is True:
                allowed.add("node")
            seen = set()
            for i, sel in enumerate(selectors):
                sw = f"{where}.selectors[{i}]"
                if not isinstance(sel, dict):
                    errs.append(f"{sw}: must be a mapping")
                    continue
                for key in sorted(set(sel) - {"role", "label", "field"}):
                    errs.append(f"{sw}: unknown field {key!r} (role, label, field)")
                srole = sel.get("role")
                if srole not in K8S_SD_ROLES:
                    errs.append(f"{sw}.role: {srole!r} is not a Kubernetes SD role")
                elif role in K8S_SD_ROLES and srole not in allowed:
                    errs.append(f"{sw}.role: role {role} supports only {', '.join(sorted(allowed))} selectors")
                if srole in seen:
                    errs.append(f"{sw}.role: duplicated selector role {srole}")
                seen.add(srole)
                for key in ("label", "field"):
                    if key in sel and not isinstance(sel[key], str):
                        errs.append(f"{sw}.{key}: must be a string")
    return errs


def cmd_prom_sd(args: argparse.Namespace) -> int:
    with open(args.config, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    errs: list[str] = []
    removed = 0
    if isinstance(cfg, dict):
        for i, sc in enumerate(cfg.get("scrape_configs") or []):
            if isinstance(sc, dict) and "kubernetes_sd_configs" in sc:
                job = sc.get("job_name", f"#{i}")
                blocks = sc.pop("kubernetes_sd_configs")
                if not isinstance(blocks, list) or not blocks:
                    errs.append(f"{rel(args.config)}: job {job}: kubernetes_sd_configs must be a non-empty list")
                    continue
                for j, sd in enumerate(blocks):
                    removed += 1
                    errs.extend(f"{rel(args.config)}: " + e for e in check_k8s_sd(f"job {job}: kubernetes_sd_configs[{j}]", sd))
    with open(args.out, "w", encoding="utf-8") as fh:
        yaml.safe_dump(cfg, fh, sort_keys=False)
    for e in errs:
        print(e)
    if not errs:
        print(removed)
    return 1 if errs else 0


# --------------------------------------------------------------------------------------------
# dashboard: file provisioning loads the bare dashboard model; the schema check covers the rest.

UID_RE = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")


def cmd_dashboard(args: argparse.Namespace) -> int:
    errors = 0
    for f in args.files:
        try:
            with open(f, encoding="utf-8") as fh:
                d = json.load(fh)
        except (OSError, ValueError) as exc:
            print(f"{rel(f)}: not valid JSON: {exc}")
            errors += 1
            continue
        if not isinstance(d, dict):
            print(f"{rel(f)}: top level must be the dashboard object")
            errors += 1
            continue
        if "dashboard" in d:
            print(f"{rel(f)}: wrapped in the HTTP API envelope {{\"dashboard\": ...}}; "
                  "file provisioning expects the bare dashboard model")
            errors += 1
    return 1 if errors else 0


# --------------------------------------------------------------------------------------------
# compose-env: environment for `docker-compose config`: the variables of a sibling .env.example,
# and a dummy value for every required `${VAR:?...}` / `${VAR?...}` not set there.

REQUIRED_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")


def cmd_compose_env(args: argparse.Namespace) -> int:
    env: dict[str, str] = {}
    example = Path(args.file).parent / ".env.example"
    if example.is_file():
        for line in example.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                line = line[len("export "):].lstrip()
            name, sep, value = line.partition("=")
            if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
                print(f"{rel(example)}: cannot parse line {line!r}", file=sys.stderr)
                return 1
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[name.strip()] = value
    text = Path(args.file).read_text(encoding="utf-8")
    for name in REQUIRED_VAR_RE.findall(text):
        if not env.get(name):
            env[name] = "validate-out-dummy"
    for name, value in env.items():
        print(f"{name}={value}")
    return 0


# --------------------------------------------------------------------------------------------
# checkov-report: render checkov's JSON report; fail on failed checks, parse errors, frameworks
# that scanned nothing, and skips that do not come from scripts/validators/checkov-skips.txt.


# checkov's secrets scan flags some ExternalSecret `spec.data[].secretKey` lines (e.g.
# `secretKey: JWT_SECRET_KEY`: a `secret*` key with an entropic-looking value). That value is the
# *name* of a key in the Secret the operator creates (the CRD restricts it to [-._a-zA-Z0-9]+), never
# a secret value. Exactly those findings are dropped, each with a visible note; nothing else is.
SECRET_KEY_NAME_LINE = re.compile(r"""^\s*(?:-\s+)?secretKey:\s*(["']?)[-._a-zA-Z0-9]+\1\s*$""")


def is_external_secret_key_name(finding: dict[str, Any], external_secrets: set[str], root: str) -> bool:
    path = str(finding.get("file_path", "")).lstrip("/")
    lines = finding.get("file_line_range") or []
    if path not in external_secrets or not lines:
        return False
    try:
        text = (Path(root) / path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    line_no = int(lines[0])
    return 1 <= line_no <= len(text) and bool(SECRET_KEY_NAME_LINE.match(text[line_no - 1]))


# Check-id prefixes of each framework (to show which skip-list entries apply where).
CHECKOV_ID_PREFIXES = {
    "kubernetes": ("CKV_K8S_", "CKV2_K8S_"),
    "dockerfile": ("CKV_DOCKER_", "CKV2_DOCKER_"),
    "github_actions": ("CKV_GHA_", "CKV2_GHA_"),
    "secrets": ("CKV_SECRET_",),
}


def cmd_checkov_report(args: argparse.Namespace) -> int:
    with open(args.json, encoding="utf-8") as fh:
        raw = fh.read().strip()
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        print(f"checkov: unreadable JSON report: {raw[:500]}")
        return 1
    reports = data if isinstance(data, list) else [data]
    by_type = {r.get("check_type"): r for r in reports if isinstance(r, dict) and r.get("check_type")}
    allowed_skips = set(args.skips.split(",")) if args.skips else set()
    failed = False
    for fw in args.frameworks:
        r = by_type.get(fw)
        summary = (r or {}).get("summary") or {}
        results = (r or {}).get("results") or {}
        passed, nfailed = summary.get("passed", 0), summary.get("failed", 0)
        skipped_list = results.get("skipped_checks") or []
        if r is None or passed + nfailed + len(skipped_list) == 0:
            if fw == "secrets":
                # secrets reports only findings: an empty report is a clean scan.
                print(f"ok checkov {fw}: 0 findings")
                continue
            print(f"FAIL checkov {fw}: scanned nothing (no resources found; were the files parsed?)")
            failed = True
            continue
        problems: list[str] = []
        failed_checks = results.get("failed_checks") or []
        if fw == "secrets":
            kept = []
            for c in failed_checks:
                if is_external_secret_key_name(c, set(args.external_secret or []), args.root):
                    lines = c.get("file_line_range") or [0]
                    print(f"note checkov secrets: not counting {c.get('check_id')} at "
                          f"{str(c.get('file_path')).lstrip('/')}:{lines[0]}: an ExternalSecret secretKey is a key name, not a secret value")
                    nfailed -= 1
                else:
                    kept.append(c)
            failed_checks = kept
        for c in failed_checks:
            lines = c.get("file_line_range") or []
            loc = f"{c.get('file_path', '?').lstrip('/')}:{lines[0]}" if lines else c.get("file_path", "?").lstrip("/")
            problems.append(f"  {loc}: {c.get('check_id')} {c.get('check_name')} [{c.get('resource')}]")
        for c in skipped_list:
            if c.get("check_id") not in allowed_skips:
                loc = c.get("file_path", "?").lstrip("/")
                problems.append(f"  {loc}: {c.get('check_id')} skipped by an inline suppression "
                                f"({c.get('suppress_comment', '')!r}); skips belong in scripts/validators/checkov-skips.txt")
        perr = summary.get("parsing_errors", 0)
        for p in results.get("parsing_errors") or []:
            problems.append(f"  {str(p).lstrip('/')}: checkov could not parse this file")
        if perr and not results.get("parsing_errors"):
            problems.append(f"  {perr} file(s) checkov could not parse")
        prefixes = CHECKOV_ID_PREFIXES.get(fw, ())
        fw_skips = sorted(i for i in allowed_skips if i.startswith(prefixes)) if prefixes else []
        line = f"{passed} passed, {nfailed} failed" + (f" (skip list: {', '.join(fw_skips)})" if fw_skips else "")
        if problems:
            print(f"FAIL checkov {fw}: {line}")
            print("\n".join(problems))
            failed = True
        else:
            print(f"ok checkov {fw}: {line}")
    return 1 if failed else 0


# --------------------------------------------------------------------------------------------
# reference-checks: defects of the reference design that no third-party validator reports
# (REFERENCE-DEFECTS.md). Input: the `kubectl kustomize` output of each kubernetes/ folder,
# the Dockerfiles and the dashboards.


def labels_match(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def pod_specs(obj: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod template metadata, pod spec) of a workload."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        tpl = spec.get("template") or {}
        yield tpl.get("metadata") or {}, tpl.get("spec") or {}
    elif kind == "CronJob":
        tpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        yield tpl.get("metadata") or {}, tpl.get("spec") or {}
    elif kind == "Pod":
        yield obj.get("metadata") or {}, spec


def check_k8s_build(label: str, docs: list[dict[str, Any]]) -> list[str]:
    errs: list[str] = []

    def ns_of(o: dict[str, Any]) -> str:
        return (o.get("metadata") or {}).get("namespace") or "default"

    def name_of(o: dict[str, Any]) -> str:
        return (o.get("metadata") or {}).get("name") or "?"

    def ident(o: dict[str, Any]) -> str:
        return f"{o.get('kind')}/{name_of(o)}"

    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass", "IngressClass",
                      "PriorityClass", "ClusterSecretStore", "CustomResourceDefinition"}
    namespaces = {name_of(o) for o in docs if o.get("kind") == "Namespace"}
    objs: dict[tuple[str, str], set[str]] = {}
    for o in docs:
        objs.setdefault((o.get("kind", ""), ns_of(o)), set()).add(name_of(o))
    es_targets: dict[tuple[str, str], str] = {}
    for o in docs:
        if o.get("kind") == "ExternalSecret":
            target = ((o.get("spec") or {}).get("target") or {}).get("name") or name_of(o)
            es_targets[(ns_of(o), target)] = name_of(o)
    workloads = [o for o in docs if list(pod_specs(o))]

    for o in docs:
        kind, ns, md = o.get("kind"), ns_of(o), o.get("metadata") or {}
        if kind not in cluster_scoped and "namespace" in md and md["namespace"] not in namespaces:
            errs.append(f"{ident(o)}: namespace {md['namespace']!r} is not created by any Namespace in this kustomization")
        if kind == "Secret":
            if (ns, name_of(o)) in es_targets:
                errs.append(f"{ident(o)}: also the target of ExternalSecret/{es_targets[(ns, name_of(o))]}: "
                            "two producers overwrite each other")
            if o.get("stringData") or o.get("data"):
                errs.append(f"{ident(o)}: Secret with inline data in the manifests (credentials in Git); "
                            "let an ExternalSecret produce it")
        if kind == "Ingress":
            ann = md.get("annotations") or {}
            if "kubernetes.io/ingress.class" in ann:
                errs.append(f"{ident(o)}: annotation kubernetes.io/ingress.class is deprecated; use spec.ingressClassName")
            services = objs.get(("Service", ns), set())
            for rule in (o.get("spec") or {}).get("rules") or []:
                for path in ((rule or {}).get("http") or {}).get("paths") or []:
                    svc = ((path or {}).get("backend") or {}).get("service") or {}
                    if svc.get("name") and svc["name"] not in services:
                        errs.append(f"{ident(o)}: backend service {svc['name']!r} is not defined")
        if kind in ("Service", "PodDisruptionBudget", "NetworkPolicy"):
            spec = o.get("spec") or {}
            if kind == "Service":
                selector = spec.get("selector")
            elif kind == "PodDisruptionBudget":
                selector = (spec.get("selector") or {}).get("matchLabels")
            else:
                selector = (spec.get("podSelector") or {}).get("matchLabels")
            if selector and not any(
                ns_of(w) == ns and labels_match(selector, (m.get("labels") or {}))
                for w in workloads for m, _ in pod_specs(w)
            ):
                errs.append(f"{ident(o)}: selector {selector} matches no pod template in this kustomization")
        if kind == "HorizontalPodAutoscaler":
            ref = (o.get("spec") or {}).get("scaleTargetRef") or {}
            if ref.get("name") and ref["name"] not in objs.get((ref.get("kind", ""), ns), set()):
                errs.append(f"{ident(o)}: scaleTargetRef {ref.get('kind')}/{ref['name']} is not defined")
        for _, pod in pod_specs(o):
            sa = pod.get("serviceAccountName")
            if sa and sa != "default" and sa not in objs.get(("ServiceAccount", ns), set()):
                errs.append(f"{ident(o)}: serviceAccountName {sa!r} but no ServiceAccount {sa!r} in namespace {ns}: "
                            "pods cannot be created")
            secrets = objs.get(("Secret", ns), set()) | {t for (tns, t) in es_targets if tns == ns}
            configmaps = objs.get(("ConfigMap", ns), set())
            refs: list[tuple[str, str, bool]] = []
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                for ef in c.get("envFrom") or []:
                    if "configMapRef" in ef:
                        refs.append(("ConfigMap", ef["configMapRef"].get("name", ""), bool(ef["configMapRef"].get("optional"))))
                    if "secretRef" in ef:
                        refs.append(("Secret", ef["secretRef"].get("name", ""), bool(ef["secretRef"].get("optional"))))
                for e in c.get("env") or []:
                    vf = e.get("valueFrom") or {}
                    if "configMapKeyRef" in vf:
                        refs.append(("ConfigMap", vf["configMapKeyRef"].get("name", ""), bool(vf["configMapKeyRef"].get("optional"))))
                    if "secretKeyRef" in vf:
                        refs.append(("Secret", vf["secretKeyRef"].get("name", ""), bool(vf["secretKeyRef"].get("optional"))))
            for v in pod.get("volumes") or []:
                if "configMap" in v:
                    refs.append(("ConfigMap", v["configMap"].get("name", ""), bool(v["configMap"].get("optional"))))
                if "secret" in v:
                    refs.append(("Secret", v["secret"].get("secretName", ""), bool(v["secret"].get("optional"))))
            for rkind, rname, optional in refs:
                pool = secrets if rkind == "Secret" else configmaps
                if not optional and rname not in pool:
                    what = "Secret (or ExternalSecret target)" if rkind == "Secret" else "ConfigMap"
                    errs.append(f"{ident(o)}: references {what} {rname!r}, which this kustomization does not define")
    return [f"{label}: {e}" for e in errs]


COPY_FROM_RE = re.compile(r"^\s*COPY\s+(?:--\S+\s+)*--from=(\S+)", re.IGNORECASE | re.MULTILINE)
FROM_AS_RE = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def check_dockerfile(path: str) -> list[str]:
    text = Path(path).read_text(encoding="utf-8")
    stages = {s.lower() for s in FROM_AS_RE.findall(text)}
    errs = []
    for src in COPY_FROM_RE.findall(text):
        if src.lower() in stages or src.isdigit():
            continue
        # An image reference (hadolint's DL3007 covers FROM only).
        image = src.split("@", 1)[0]
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else ""
        if "@sha256:" in src:
            continue
        if not tag or tag == "latest":
            errs.append(f"{path}: COPY --from={src}: image not pinned to a version tag or digest")
    return errs


def check_dashboard(path: str) -> list[str]:
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError:
        return []  # reported by the schema check
    if not isinstance(d, dict) or "dashboard" in d:
        return []  # reported by the bare-dashboard check
    errs = []
    uid = d.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        errs.append(f"{path}: uid missing or not 1-40 characters of [a-zA-Z0-9_-]: provisioning gives the "
                    "dashboard a random uid, so links and alerts break on every reload")
    if not d.get("title"):
        errs.append(f"{path}: title missing")

    def walk(panels: list[Any], where: str) -> None:
        for i, p in enumerate(panels or []):
            if not isinstance(p, dict):
                continue
            pw = f"{where}[{i}] {p.get('title', '')!r}"
            if "gridPos" not in p:
                errs.append(f"{path}: {pw}: gridPos missing")
            if p.get("type") == "row":
                walk(p.get("panels") or [], f"{pw}.panels")
                continue
            for j, t in enumerate(p.get("targets") or []):
                if isinstance(t, dict):
                    if not t.get("refId"):
                        errs.append(f"{path}: {pw}: targets[{j}]: refId missing")
                    if not t.get("datasource") and not p.get("datasource"):
                        errs.append(f"{path}: {pw}: targets[{j}]: no datasource on the query or the panel")

    walk(d.get("panels") or [], "panels")
    return errs


STRICT_MODE_RE = re.compile(r"^\s*set\s+-[A-Za-z]*e[A-Za-z]*u[A-Za-z]*o\s+pipefail\b|^\s*set\s+-[A-Za-z]*u[A-Za-z]*e[A-Za-z]*o\s+pipefail\b", re.MULTILINE)


def check_script(path: str) -> list[str]:
    """shellcheck does not require strict mode; the reference's scale.sh ran on after failures."""
    text = Path(path).read_text(encoding="utf-8")
    if not STRICT_MODE_RE.search(text):
        return [f"{path}: no `set -euo pipefail`: the script carries on after a failed command"]
    return []


def cmd_reference_checks(args: argparse.Namespace) -> int:
    errs: list[str] = []
    for spec in args.k8s or []:
        label, _, build = spec.partition("=")
        try:
            docs = [d for d in load_yaml_docs(build) if isinstance(d, dict)]
        except yaml.YAMLError as exc:
            errs.append(f"{label}: kustomize output is not YAML: {exc}")
            continue
        errs.extend(check_k8s_build(label, docs))
    for f in args.dockerfile or []:
        errs.extend(check_dockerfile(f))
    for f in args.dashboard or []:
        errs.extend(check_dashboard(f))
    for f in args.script or []:
        errs.extend(check_script(f))
    for e in errs:
        print(e)
    return 1 if errs else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("k8s-route")
    s.add_argument("--crd-table", required=True)
    s.add_argument("--routes", required=True, help="output: one `builtin FILE` or `crd FILE SCHEMA WHAT` line per file")
    s.add_argument("--manifest", required=True, help="output: JSON list of the custom resources, for the node validator")
    s.add_argument("files", nargs="+")
    s.set_defaults(func=cmd_k8s_route)

    s = sub.add_parser("kustomize-coverage")
    s.add_argument("dir")
    s.set_defaults(func=cmd_kustomize_coverage)

    s = sub.add_parser("prom-sd")
    s.add_argument("config")
    s.add_argument("out")
    s.set_defaults(func=cmd_prom_sd)

    s = sub.add_parser("dashboard")
    s.add_argument("files", nargs="+")
    s.set_defaults(func=cmd_dashboard)

    s = sub.add_parser("compose-env")
    s.add_argument("file")
    s.set_defaults(func=cmd_compose_env)

    s = sub.add_parser("checkov-report")
    s.add_argument("--skips", default="")
    s.add_argument("--root", default=".", help="the directory checkov scanned")
    s.add_argument("--external-secret", action="append", help="an ExternalSecret manifest (path relative to --root)")
    s.add_argument("json")
    s.add_argument("frameworks", nargs="+")
    s.set_defaults(func=cmd_checkov_report)

    s = sub.add_parser("reference-checks")
    s.add_argument("--k8s", action="append", help="LABEL=FILE: kustomize build output")
    s.add_argument("--dockerfile", action="append")
    s.add_argument("--dashboard", action="append")
    s.add_argument("--script", action="append")
    s.set_defaults(func=cmd_reference_checks)

    args = p.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
