#!/usr/bin/env bash
# Installs what the tests need beyond npm, where it is missing (Debian and Ubuntu, via apt-get):
#   - shellcheck, to lint the init script and deploy/load-env.sh
#   - zsh, to run deploy/load-env.sh as zsh users do
#   - openssh-server, for sshd -t on the sshd configuration sparks run with
#   - openssl, to make the certificates of the TLS tests
#   - tmux, to press Ctrl-C on a real pseudo-terminal (test/trust/interrupt.test.ts)
#   - fish, to run spark's fish completion as fish users do (test/conventions/completion.test.ts)
#   - the Kubernetes control plane of the cluster tests, built from Go modules (scripts/cluster-binaries.sh;
#     needs Go; cached, so only the first run builds)
#   - debootstrap, iproute2 and util-linux (unshare, flock), to boot sparks for real (test/boot/):
#     the tests build Debian bookworm root file systems once per machine on first use, cached in
#     ${XDG_CACHE_HOME:-~/.cache}/spark-boot (a few minutes the first time; root only)
# kubectl, psql and PostgreSQL 15 are used when present (/usr/bin/kubectl, /usr/lib/postgresql/15).
set -euo pipefail

"$(dirname "$0")/cluster-binaries.sh" >/dev/null

missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v fish >/dev/null 2>&1 || missing+=(fish)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
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
