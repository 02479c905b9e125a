#!/usr/bin/env bash
# Installs the Debian packages the test suites run for real: a private Docker engine, dnsmasq,
# nginx, the registry, redir, skopeo, htpasswd, static busybox (test images are built from it),
# dig, shellcheck, openssl, git (the pipeline tests check out from a local repository),
# chromium (the health dashboard is checked in a headless browser) and Groovy on Java 17 (the
# rendered Job DSL seeds and Jenkinsfiles are compiled with groovyc) and systemd (systemd-analyze
# verify checks the Jenkins unit's drop-in), openssh-server (the SSH CI host test runs its own
# sshd, with its own config and keys, in a network namespace; the package's system service is
# never started), iproute2 (that test's namespace and veth pair, `ip netns`, `ss`), curl and
# procps (its requests from inside the namespace and its check that no process is left). Run as
# root on Debian 12. Idempotent: when every package is already installed it changes nothing and
# does not touch the network.
set -euo pipefail

packages=(
  docker.io
  dnsmasq-base
  nginx-light
  docker-registry
  redir
  skopeo
  apache2-utils
  busybox-static
  dnsutils
  shellcheck
  openssl
  git
  chromium
  groovy
  openjdk-17-jre-headless
  systemd
  openssh-server
  iproute2
  curl
  procps
)

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root to install: ${missing[*]}" >&2
  exit 1
fi

# The tests start their own private dockerd; keep the packages' system services (docker,
# nginx, docker-registry) from starting during the install, as Debian's policy-rc.d allows.
# A running system dockerd would set the host's iptables FORWARD policy to DROP, which cuts
# traffic between containers on the private engine's bridges.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for p in "${missing[@]}"; do
  if ! installed "$p"; then
    echo "install-deps: $p is still not installed" >&2
    exit 1
  fi
done
