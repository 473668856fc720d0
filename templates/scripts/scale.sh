#!/usr/bin/env bash
# Sets the replica count of one service in {{ scripts.env }} (namespace {{ scripts.namespace }}), then waits up to
# {{ scripts.rollout_timeout }} for the rollout ({% include "scripts/_timeout.sh" %}).
#
#   bash {{ scripts.dir }}/scale.sh SERVICE REPLICAS
#
# kubectl acts on its current context: make sure it is the {{ scripts.env }} cluster.
#
# A service whose replica count a HorizontalPodAutoscaler owns is refused: the autoscaler would
# undo kubectl scale within seconds. Change its autoscaling bounds in platform.toml instead.
# With GitOps (Argo CD or Flux applying {{ scripts.out }}/{{ scripts.env }}/kubernetes/) a controller with self-heal
# resets the count to the `replicas` in {{ scripts.out }}/: the lasting change is `replicas` in platform.toml.
# See platgen's docs/operations.md.
set -euo pipefail

{% set script = "scale.sh" %}
{% set arguments = "SERVICE REPLICAS" %}
{% set autoscalers = true %}
{% include "scripts/_select.sh" %}

[[ $# -eq 2 ]] || usage
select_service "$1"
readonly namespace={{ scripts.namespace | quoted }}
replicas="$2"
if [[ ! "$replicas" =~ ^(0|[1-9][0-9]{0,4})$ ]]; then
  printf 'scale.sh: REPLICAS must be a whole number from 0 to 99999, not %s\n' "$replicas" >&2
  usage
fi
if [[ -n "$hpa" ]]; then
  printf 'scale.sh: %s is scaled by HorizontalPodAutoscaler %s (minReplicas %s, maxReplicas %s) in namespace %s;\n' \
    "$1" "$hpa" "$hpa_min" "$hpa_max" "$namespace" >&2
  printf 'it would undo kubectl scale. Change autoscaling = { min = ..., max = ... } of %s in platform.toml\n' "$1" >&2
  printf '(where it is set: [services.%s], [services.%s.env.%s] or [environments.%s] service_overrides), then render and deploy.\n' \
    "$1" "$1" {{ scripts.env }} {{ scripts.env }} >&2
  exit 1
fi

printf 'Scaling deployment/%s in namespace %s to %s replicas (kubectl context: %s)\n' \
  "$deployment" "$namespace" "$replicas" "$(kubectl config current-context)"
kubectl scale "deployment/$deployment" --namespace "$namespace" --replicas "$replicas"
kubectl rollout status "deployment/$deployment" --namespace "$namespace" --timeout {{ scripts.rollout_timeout }}
kubectl get pods --namespace "$namespace" --selector "$selector" --output wide
