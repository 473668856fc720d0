{# Shared by the scripts: the one argument naming a service, checked against the services of
   the environment (a `case` over names decided in Rust; no eval, every expansion quoted). #}
readonly SERVICES=({% for s in scripts.services %}{{ s.name }}{% if not loop.last %} {% endif %}{% endfor %})

# Prints the usage line and the valid service names.
print_usage() {
  printf 'usage: bash %s %s\n' {{ scripts.dir ~ "/" ~ script }} {{ arguments }}
  printf 'SERVICE is one of the services deployed in %s (namespace %s):\n' {{ scripts.env }} {{ scripts.namespace }}
  printf '  %s\n' "${SERVICES[@]}"
}

# Wrong arguments: the usage on stderr, exit status 2.
usage() {
  print_usage >&2
  exit 2
}

# Asked for (-h or --help): the usage on stdout, and nothing else done.
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  print_usage
  exit 0
fi

{% if autoscalers %}
# Sets deployment, selector and (when an autoscaler owns the replica count) hpa, hpa_min, hpa_max.
select_service() {
  hpa=""
  hpa_min=""
  hpa_max=""
{% else %}
# Sets deployment and selector.
select_service() {
{% endif %}
  case "$1" in
{% for s in scripts.services %}
    {{ s.name }})
      deployment={{ s.deployment | quoted }}
      selector={{ s.selector | quoted }}
{% if autoscalers and s.autoscaler %}
      hpa={{ s.autoscaler.name | quoted }}
      hpa_min={{ s.autoscaler.min }}
      hpa_max={{ s.autoscaler.max }}
{% endif %}
      ;;
{% endfor %}
    *)
      printf '%s: no service %s in %s\n' {{ script }} "$1" {{ scripts.env }} >&2
      usage
      ;;
  esac
}
