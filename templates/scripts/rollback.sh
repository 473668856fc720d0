#!/usr/bin/env bash
# Emergency rollback of one service in {{ scripts.env }} (namespace {{ scripts.namespace }}): shows the Deployment's
# history, runs `kubectl rollout undo` (back to the previous revision), waits up to {{ scripts.rollout_timeout }} for the
# rollout ({% include "scripts/_timeout.sh" %}), then shows the pods.
#
#   bash {{ scripts.dir }}/rollback.sh SERVICE
#
# kubectl acts on its current context: make sure it is the {{ scripts.env }} cluster.
#
# With GitOps (Argo CD or Flux applying {{ scripts.out }}/{{ scripts.env }}/kubernetes/), the cluster is reconciled
# back to what {{ scripts.out }}/ says: a controller with self-heal re-applies the release this script undid.
# This is the emergency brake, not the fix. Pause reconciliation first (Argo CD: turn off
# auto-sync of the application; Flux: flux suspend kustomization), then revert the commit that
# changed platform.toml, re-render {{ scripts.out }}/, commit, and resume. See platgen's docs/operations.md.
set -euo pipefail

{% set script = "rollback.sh" %}
{% set arguments = "SERVICE" %}
{% set autoscalers = false %}
{% include "scripts/_select.sh" %}

[[ $# -eq 1 ]] || usage
select_service "$1"
readonly namespace={{ scripts.namespace | quoted }}

printf 'Rolling back deployment/%s in namespace %s (kubectl context: %s)\n' \
  "$deployment" "$namespace" "$(kubectl config current-context)"
kubectl rollout history "deployment/$deployment" --namespace "$namespace"
kubectl rollout undo "deployment/$deployment" --namespace "$namespace"
kubectl rollout status "deployment/$deployment" --namespace "$namespace" --timeout {{ scripts.rollout_timeout }}
kubectl get pods --namespace "$namespace" --selector "$selector" --output wide
printf 'Rolled back deployment/%s. Now revert the release in platform.toml.\n' "$deployment"
