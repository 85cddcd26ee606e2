# Sourced by the container scripts: podman with this project's containers.conf when none is set
# and runc is there (see containers.conf for why).
if [[ -z "${CONTAINERS_CONF:-}" ]] && command -v runc >/dev/null 2>&1; then
  CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf"
  export CONTAINERS_CONF
fi
