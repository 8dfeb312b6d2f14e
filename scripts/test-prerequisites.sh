#!/usr/bin/env bash
# Installs what the tests need beyond npm, where it is missing (Debian and Ubuntu, via apt-get):
#   - shellcheck, to lint the init script and deploy/load-env.sh
#   - zsh, to run deploy/load-env.sh as zsh users do
#   - openssh-server, for sshd -t on the sshd configuration sparks run with
#   - openssl, to make the certificates of the TLS tests
# kubectl, psql and PostgreSQL 15 are used when present (/usr/bin/kubectl, /usr/lib/postgresql/15).
set -euo pipefail

missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need: ${missing[*]}. Install them with your package manager, then run npm test." >&2
  exit 1
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "Installing ${missing[*]} (apt-get) for the tests..." >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
