#!/bin/bash
# Turns a Debian bookworm root file system into the spark image: everything the init script would
# otherwise install at each start, plus what a spark user expects ready. Run as root inside it:
# the Containerfile's RUN, or `chroot DIR /bin/bash /setup.sh` (the tests' boot harness).
# Uses http_proxy/https_proxy when set. SPARK_VERSION names the spark release it belongs to.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
version="${SPARK_VERSION:-unknown}"

# No service starts while packages install (there is no init in a build).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

apt-get update -q
apt-get install -y -q --no-install-recommends \
  openssh-server sudo git curl ca-certificates postgresql-client gh locales \
  tmux vim less jq ripgrep build-essential python3 unzip procps nodejs npm
update-ca-certificates

# Locale: en_US.UTF-8 alongside the built-in C.UTF-8.
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
locale-gen >/dev/null

# Claude Code, system-wide. Node trusts only its bundled CAs unless told: add the system store,
# which holds a corporate proxy's CA when the build host added it.
NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm install -g --no-audit --no-fund --loglevel=error @anthropic-ai/claude-code
claude --version

printf 'SPARK_IMAGE_VERSION=%s\n' "$version" >/etc/spark-image-release

# Nothing left behind: package caches, lists, npm's cache, and host keys (each spark makes its own).
rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/* /root/.npm /tmp/* /var/tmp/*
rm -f /etc/ssh/ssh_host_*
