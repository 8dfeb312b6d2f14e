#!/usr/bin/env bash
# Builds the Kubernetes control plane the tests run (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd and kwok) from the Go modules pinned in test/cluster/go.mod, into
#   ${XDG_CACHE_HOME:-~/.cache}/spark-test-cluster/<version>/
# and reuses that directory when it is complete. Prints the directory on stdout.
# --check: only print the directory if it is complete; exit 1 (saying how to build it) if not.
# A cold build takes long on a small machine (see README "Tests: a real Kubernetes control plane").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mod="$root/test/cluster"

k8s=v1.34.4    # = k8s.io/kubernetes in test/cluster/go.mod
etcd=v3.6.4    # = go.etcd.io/etcd/server/v3 in test/cluster/go.mod
kwok=v0.7.0    # sigs.k8s.io/kwok, built from its own go.mod
sum="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-8)"
version="k8s-$k8s-etcd-$etcd-kwok-$kwok-$sum"
out="${XDG_CACHE_HOME:-$HOME/.cache}/spark-test-cluster/$version"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() { for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done; }
if complete; then echo "$out"; exit 0; fi
if [ "${1:-}" = "--check" ]; then
  echo "The test control plane is not built ($out is missing or incomplete): run scripts/cluster-binaries.sh (a cold build takes 20+ minutes)." >&2
  exit 1
fi

command -v go >/dev/null 2>&1 || {
  echo "The cluster tests need Go (1.24 or newer) to build the control plane: install Go, then run $0 again." >&2
  exit 1
}
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
start=$SECONDS
echo "Building the test control plane ($version) into $out; a cold build takes 20+ minutes on 2 cores..." >&2

export GOFLAGS="${GOFLAGS:-} -buildvcs=false" CGO_ENABLED=0
minor="${k8s#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3)
mv "$tmp/server" "$tmp/etcd"
GOBIN="$tmp" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok"

rm -rf "$out" && mv "$tmp" "$out"
echo "Built in $((SECONDS - start)) s: $(du -sh "$out" | cut -f1) in $out" >&2
echo "$out"
