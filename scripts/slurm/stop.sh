#!/usr/bin/env bash
# Stops what start.sh started. Only PIDs from its PID files are signalled, and only while
# /proc/PID/comm still names the expected daemon: no pkill, no killall. Safe when nothing runs.
# Jobs still queued or running are cancelled through Slurm first, so slurmd ends their processes
# (they are not ours to signal by PID). Takes 0.3-0.5 s, about 2 s when a job must be cancelled.
#
#   stop.sh [--purge]   --purge also deletes the state directory
#   GREENSHIFT_SLURM_DIR  state directory  [/tmp/greenshift-slurm]
set -uo pipefail

D=${GREENSHIFT_SLURM_DIR:-/tmp/greenshift-slurm}
# the clients use munge like the daemons, never a token left over from a sourced env.sh
unset SLURM_JWT
export SLURM_CONF=$D/etc/slurm.conf

log() { printf '[slurm stop %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# pid_alive PID COMM: a live, non-zombie process called COMM (init reaps orphans late here)
pid_alive() {
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/comm && $(<"/proc/$1/comm") == "$2" ]] || return 1
  [[ $(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) != Z ]]
}
alive() { [[ -s $1 ]] && pid_alive "$(<"$1")" "$2"; }

# stop PIDFILE COMM: SIGTERM, wait up to 15 s for the PID itself (the daemons delete their PID
# files before they have exited), then SIGKILL
stop() {
  local pid i
  if ! alive "$1" "$2"; then
    rm -f "$1"
    return 0
  fi
  pid=$(<"$1")
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 75; i++)); do
    pid_alive "$pid" "$2" || break
    sleep 0.2
  done
  if pid_alive "$pid" "$2"; then
    log "$2 (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$1"
  log "$2 stopped (pid $pid)"
}

if [[ -f $SLURM_CONF ]] && alive "$D/run/slurmctld.pid" slurmctld; then
  mapfile -t ids < <(squeue -h -o %i -t PENDING,RUNNING,SUSPENDED,CONFIGURING 2>/dev/null)
  if ((${#ids[@]} > 0)); then
    log "cancelling jobs ${ids[*]}"
    scancel "${ids[@]}" 2>/dev/null
    for ((i = 0; i < 75; i++)); do
      [[ -z $(squeue -h -o %i -t RUNNING,COMPLETING 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
fi

stop "$D/run/slurmrestd.pid" slurmrestd
stop "$D/run/slurmd.pid" slurmd
stop "$D/run/slurmctld.pid" slurmctld
stop "$D/munge/munged.pid" munged

if [[ ${1:-} == --purge ]]; then
  [[ $D == /?* && $D != *..* ]] || { log "refusing to purge '$D'"; exit 1; }
  rm -rf "${D:?}"
  log "removed $D"
fi
exit 0
