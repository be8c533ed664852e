#!/usr/bin/env bash
# cluster.sh — a throw-away single-node Slurm cluster on localhost, to try tools/slurm/index.sh on one
# machine (docs/scaling.md, "Slurm"). Needs Debian's slurm-wlm and munge packages, and root (slurmd
# runs the jobs as their submitting user).
#
#   tools/slurm/cluster.sh start DIR    write DIR/slurm.conf and a munge key, start munged, slurmctld
#                                       and slurmd, wait until the node is idle
#   tools/slurm/cluster.sh status DIR   the daemons' pids and sinfo
#   tools/slurm/cluster.sh stop DIR     cancel the cluster's jobs, stop the three daemons it started
#
# Then use the cluster with  export SLURM_CONF=DIR/slurm.conf  (sbatch, squeue, scontrol, sinfo).
# Everything (config, key, state, spool, pid and log files) lives under DIR; the daemons listen on two
# free ports of 127.0.0.1 chosen at start, so a real Slurm installation on the machine (its
# /etc/slurm/slurm.conf, munge socket and ports) is neither read nor disturbed. `start` exits 1 with
# the daemons' log tails when the node is not idle within GRADUS_SLURM_START_TIMEOUT seconds (30).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 64; }
[ $# -eq 2 ] || usage
action=$1
[ "$action" = start ] && mkdir -p "$2"
[ -d "$2" ] || { echo "cluster.sh: $2 is not a directory (no cluster was started there)" >&2; exit 1; }
dir=$(cd "$2" && pwd)
conf=$dir/slurm.conf
node=gradus-node
daemons=(munged slurmctld slurmd)
export SLURM_CONF=$conf

pid_of() { # NAME: the pid from DIR's pid file if that process is alive and is NAME, else nothing
    local file=$dir/run/$1.pid pid
    [ -s "$file" ] || return 0
    pid=$(tr -dc 0-9 < "$file")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && echo "$pid"
    return 0
}

log_tails() {
    local f
    for f in "$dir"/log/*.log; do
        [ -e "$f" ] || continue
        echo "---- last lines of $f" >&2
        tail -n 15 "$f" >&2
    done
}

free_port() { # a TCP port of 127.0.0.1 that nothing listens on (connect refused), not in EXCLUDE
    local p tries=0
    while [ $tries -lt 200 ]; do
        p=$((20000 + RANDOM % 30000)); tries=$((tries + 1))
        [ "$p" = "${1:-}" ] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    echo "cluster.sh: no free TCP port found on 127.0.0.1" >&2; return 1
}

write_config() {
    local host cpus mem ctld_port slurmd_port hw
    host=$(hostname -s)
    # The machine's CPUs and memory as slurmd itself detects them (slurmd refuses a node whose
    # configured CPUs or RealMemory exceed what it finds).
    hw=$(slurmd -C | head -n 1)
    cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<< "$hw")
    mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<< "$hw")
    [ -n "$cpus" ] && [ -n "$mem" ] || { echo "cluster.sh: cannot read CPUs/RealMemory from 'slurmd -C': $hw" >&2; return 1; }
    ctld_port=$(free_port)
    slurmd_port=$(free_port "$ctld_port")
    cat > "$conf" <<EOF
# Written by tools/slurm/cluster.sh: a single-node cluster on localhost, all state under $dir.
ClusterName=gradus-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
# This cluster's own munged; cred_expire (default 120 s) is also how long a re-queued job waits
# before it may start again.
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/socket/munge.socket,cred_expire=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
# No cgroups (they would be written under /sys/fs/cgroup and need a host that delegates them, which
# a container often does not): track job processes through /proc, no task binding, no accounting
# daemon (sacct says "accounting storage is disabled"; squeue and scontrol work).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
# Cores are consumable, memory is checked but not counted (no cgroup enforces it here). Schedule
# every second (defaults: 30 s backfill, 60 s main), or a re-queued job waits up to 30 s more.
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Short timeouts: this cluster only lives for a test run.
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
    local p
    for p in "${daemons[@]}"; do
        if [ -n "$(pid_of "$p")" ]; then echo "cluster.sh: $p of $dir is already running (pid $(pid_of "$p")); stop it first" >&2; return 1; fi
    done
    for p in slurmctld slurmd munged sinfo; do
        command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
        command -v "$p" >/dev/null 2>&1 || { echo "cluster.sh: $p not found (install Debian's slurm-wlm and munge)" >&2; return 1; }
    done
    # munged refuses a socket below a directory that not everyone may search (its own check).
    local up=$dir
    while up=$(dirname "$up"); [ "$up" != / ]; do
        [ -n "$(find "$up" -maxdepth 0 -perm -o+x)" ] || { echo "cluster.sh: munged needs every directory above its socket searchable by all, and $up is not (chmod o+x it, or use a DIR under /tmp)" >&2; return 1; }
    done
    mkdir -p "$dir"/{munge,socket,state,spool,run,log}
    # munged wants its key private and the path to its socket searchable (not readable) by all.
    chmod 700 "$dir/munge"; chmod 755 "$dir/socket"; chmod a+x "$dir"
    write_config
    # A fresh 1024-byte key of this cluster only, as mungekey --create would write.
    [ -s "$dir/munge/munge.key" ] || { head -c 1024 /dev/urandom > "$dir/munge/munge.key"; chmod 400 "$dir/munge/munge.key"; }
    munged --key-file="$dir/munge/munge.key" --socket="$dir/socket/munge.socket" \
        --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
        && has_pid munged || { start_failed "munged did not start"; return 1; }
    slurmctld -c && has_pid slurmctld || { start_failed "slurmctld did not start"; return 1; }
    slurmd -N "$node" && has_pid slurmd || { start_failed "slurmd did not start"; return 1; }
    local timeout=${GRADUS_SLURM_START_TIMEOUT:-30} waited=0 state=""
    while [ $waited -lt $((timeout * 2)) ]; do
        state=$(sinfo -h -N -n "$node" -o %t 2>/dev/null || true)
        [ "$state" = "idle" ] && { echo "cluster.sh: node $node idle after $((waited / 2)) s; export SLURM_CONF=$conf"; return 0; }
        sleep 0.5; waited=$((waited + 1))
    done
    start_failed "node $node of $conf not idle after $timeout s (state: ${state:-none})"
    return 1
}

has_pid() { # NAME: wait up to 10 s for the daemon's pid file (written after it forks), so stop finds it
    for _ in $(seq 1 50); do [ -n "$(pid_of "$1")" ] && return 0; sleep 0.2; done
    return 1
}

start_failed() { # MESSAGE: say why, show the daemons' logs, stop what did start
    echo "cluster.sh: $1" >&2
    log_tails
    stop >/dev/null
}

stop() {
    if [ -n "$(pid_of slurmctld)" ]; then
        # Jobs first, so that no job step outlives slurmd.
        local jobs=()
        mapfile -t jobs < <(squeue -h -o %i 2>/dev/null || true)
        if [ ${#jobs[@]} -gt 0 ]; then
            scancel --quiet --full "${jobs[@]}" 2>/dev/null || true
            for _ in $(seq 1 75); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
        fi
    fi
    # slurmd and slurmctld together (each takes 1-2 s to shut down), then munged, which they use until then.
    stop_daemons slurmd slurmctld
    stop_daemons munged
    echo "cluster.sh: stopped the daemons of $dir"
}

stop_daemons() { # NAME...: SIGTERM those of DIR that run, wait up to 10 s, SIGKILL what is left
    local p pid pids=() alive
    for p in "$@"; do
        pid=$(pid_of "$p")
        [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); }
    done
    for _ in $(seq 1 50); do
        alive=0
        for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.2
    done
    for pid in "${pids[@]}"; do
        [ -d "/proc/$pid" ] || continue
        echo "cluster.sh: $(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid) ignored SIGTERM for 10 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    done
    for p in "$@"; do rm -f "$dir/run/$p.pid"; done
}

status() {
    local p running=0 pid
    for p in munged slurmctld slurmd; do
        pid=$(pid_of "$p")
        if [ -n "$pid" ]; then echo "$p: running (pid $pid)"; running=$((running + 1)); else echo "$p: not running"; fi
    done
    [ -n "$(pid_of slurmctld)" ] && sinfo -N 2>&1
    [ $running -eq 3 ]
}

case $action in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
