#!/usr/bin/env bash
# Installs the single-node Slurm that greenshift's Slurm integration test runs against:
# Slurm 22.05 (slurmctld, slurmd, clients, slurmrestd with JWT auth) and munge, from Debian 12.
# Idempotent: when every package is already installed it touches nothing (about 0.1 s); a cold
# install (apt-get update, 13 packages, 3.6 MB) takes about 10 s. Needs root and apt.
# The packages' postinst scripts try to start the system daemons; without an init system (or with a
# policy-rc.d that refuses) they do not, and start.sh never uses them: it runs private instances.
set -euo pipefail

PKGS=(slurmctld slurmd slurm-client slurmrestd munge slurm-wlm-jwt-plugin curl)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  [[ $(id -u) == 0 ]] || { echo "install.sh: installing ${missing[*]} needs root" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends: recommends would pull 44 packages instead of 13, none of them needed
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

slurmctld -V
