#!/usr/bin/env bash
# index.sh — index a corpus on N shards of a Slurm cluster (docs/scaling.md, "Slurm"). Run it on a login
# node from the directory the jobs should work in (shared filesystem); it submits one `sbatch --parsable`
# per stage, each stage `--dependency=afterok:` the previous one, prints the job ids and, with --wait,
# waits for the last stage and prints the output of every job that did not complete.
#
#   tools/slurm/index.sh --shards 8 --out runs/c [options] data/*.jsonl.zst -- --tokenizer corpora/tokenizer.json --pack 2048
#
# Stages (each after the previous one):
#   1. a job array of N tasks, task I running
#        gradus index INPUTS --shard I/N --out PREFIX.shard-I.idx [--resume] GRADUS_INDEX_OPTIONS
#   2. one job: gradus merge plan PREFIX.shard-0.idx ... PREFIX.shard-(N-1).idx --out PREFIX.idx --force
#   3. a job array of N tasks, task I running  gradus merge metrics PREFIX.idx --shard I
#   4. one job: gradus merge finish PREFIX.idx
# Only stages 1 and 3 read tokens; 2 and 4 move counts and metric values (docs/scaling.md).
# Each stage is one submit_* function (what sbatch gets) and one run_* function (what the job runs);
# index.sh submits itself as the batch script, so there is no second copy of the job commands.
#
# A task that Slurm re-queues (preemption, node failure, `scontrol requeue`; jobs are submitted with
# --requeue) resumes: an index task whose shard directory already holds a begun index adds --resume
# (one its earlier run completed is kept); the merge stages are run again as they are (the plan
# replaces what a killed plan left, a metrics task rewrites its values file, finish redoes its tables).
#
# Options (before the inputs):
#   --out PREFIX          shards go to PREFIX.shard-I.idx, the result to PREFIX.idx (required)
#   --shards N            number of shards (required)
#   --gradus PATH         gradus binary the jobs run (default: `gradus` on PATH), on a shared filesystem
#   --logs DIR            job output files slurm-<job>_<task>.out / slurm-<job>.out (default: PREFIX.slurm)
#   --partition P         partition of every job (default: the cluster's default)
#   --time T              time limit of each job (default 04:00:00)
#   --cpus-per-task C     CPUs of each job, passed on as --threads (default 8)
#   --mem M               memory of each job (default 8G)
#   --wait                wait for all jobs; exit 1 if one failed, after printing its output
# Everything after `--` is passed to every `gradus index` task (--tokenizer, --pack, --skip-bad, ...).
set -euo pipefail

die() { echo "index.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }

# ---- what the jobs run (index.sh is the batch script; sbatch passes these arguments) ----------------

# __index GRADUS N PREFIX NINPUTS INPUT... OPTION...: array task SLURM_ARRAY_TASK_ID indexes its shard.
run_index() {
    local gradus=$1 n=$2 prefix=$3 ninputs=$4; shift 4
    local inputs=("${@:1:ninputs}") options=("${@:ninputs+1}")
    local i=${SLURM_ARRAY_TASK_ID:?run as a job array task}
    local out=$prefix.shard-$i.idx resume=() restart=${SLURM_RESTART_COUNT:-0}
    echo "index.sh: shard $i/$n on $(hostname) (restart $restart) -> $out"
    # A re-run of this task whose earlier run finished the shard (requeued after gradus exited) has
    # nothing left to do: readers open only complete indexes.
    if [ "$restart" -gt 0 ] && "$gradus" info "$out" >/dev/null 2>&1; then
        echo "index.sh: $out is complete from this task's earlier run"; exit 0
    fi
    # A re-queued task finds its shard begun and continues it. (Outside a re-run, an existing
    # complete shard makes `--resume` fail with "already complete": remove it to index it again.)
    [ -e "$out/data.mdb" ] && { resume=(--resume); echo "index.sh: resuming $out"; }
    exec "$gradus" index "${inputs[@]}" --shard "$i/$n" --out "$out" \
        --threads "${SLURM_CPUS_PER_TASK:-1}" "${resume[@]}" "${options[@]}"
}

# __plan GRADUS N PREFIX: stage 2, place the shards' samples and sum their counts into PREFIX.idx.
run_plan() {
    local gradus=$1 n=$2 prefix=$3 dirs=() i
    for ((i = 0; i < n; i++)); do dirs+=("$prefix.shard-$i.idx"); done
    echo "index.sh: planning the merge of $n shards on $(hostname) (restart ${SLURM_RESTART_COUNT:-0}) -> $prefix.idx"
    exec "$gradus" merge plan "${dirs[@]}" --out "$prefix.idx" --force
}

# __metrics GRADUS PREFIX: stage 3, array task SLURM_ARRAY_TASK_ID computes its shard's metric values.
run_metrics() {
    local gradus=$1 prefix=$2 i=${SLURM_ARRAY_TASK_ID:?run as a job array task}
    echo "index.sh: metrics of shard $i on $(hostname) (restart ${SLURM_RESTART_COUNT:-0}) -> $prefix.idx"
    exec "$gradus" merge metrics "$prefix.idx" --shard "$i" --threads "${SLURM_CPUS_PER_TASK:-1}"
}

# __finish GRADUS PREFIX: stage 4, docs, metric and order tables; the index becomes complete.
run_finish() {
    local gradus=$1 prefix=$2
    echo "index.sh: finishing $prefix.idx on $(hostname) (restart ${SLURM_RESTART_COUNT:-0})"
    if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then
        # Re-queued after its earlier run completed the index: nothing left to do.
        "$gradus" info "$prefix.idx" >/dev/null 2>&1 && { echo "index.sh: $prefix.idx is complete from this job's earlier run"; exit 0; }
        echo "index.sh: redoing the finish of $prefix.idx"
    fi
    exec "$gradus" merge finish "$prefix.idx" --threads "${SLURM_CPUS_PER_TASK:-1}"
}

case ${1:-} in
    __index) shift; run_index "$@" ;;
    __plan) shift; run_plan "$@" ;;
    __metrics) shift; run_metrics "$@" ;;
    __finish) shift; run_finish "$@" ;;
esac

# ---- the submitting side ------------------------------------------------------------------------------

shards="" prefix="" gradus="" logs="" partition="" time_limit=04:00:00 cpus=8 mem=8G wait=0
inputs=() options=()
while [ $# -gt 0 ]; do
    case $1 in
        --out) prefix=${2:?--out needs a value}; shift 2 ;;
        --shards) shards=${2:?--shards needs a value}; shift 2 ;;
        --gradus) gradus=${2:?--gradus needs a value}; shift 2 ;;
        --logs) logs=${2:?--logs needs a value}; shift 2 ;;
        --partition) partition=${2:?--partition needs a value}; shift 2 ;;
        --time) time_limit=${2:?--time needs a value}; shift 2 ;;
        --cpus-per-task) cpus=${2:?--cpus-per-task needs a value}; shift 2 ;;
        --mem) mem=${2:?--mem needs a value}; shift 2 ;;
        --wait) wait=1; shift ;;
        -h|--help) usage ;;
        --) shift; options=("$@"); break ;;
        -*) echo "index.sh: unknown option $1 (gradus index options go after --)" >&2; exit 64 ;;
        *) inputs+=("$1"); shift ;;
    esac
done
[ -n "$prefix" ] || { echo "index.sh: --out PREFIX is required" >&2; exit 64; }
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "index.sh: --shards must be a positive integer (got '$shards')" >&2; exit 64; }
[[ $cpus =~ ^[1-9][0-9]*$ ]] || { echo "index.sh: --cpus-per-task must be a positive integer (got '$cpus')" >&2; exit 64; }
[ ${#inputs[@]} -gt 0 ] || { echo "index.sh: no input files given" >&2; exit 64; }
for f in "${inputs[@]}"; do [ -e "$f" ] || die "input $f does not exist (paths are relative to $PWD, where the jobs run)"; done
gradus=$(command -v "${gradus:-gradus}") || die "no gradus binary: give --gradus PATH (it must be reachable from the compute nodes)"
gradus=$(cd "$(dirname "$gradus")" && pwd)/$(basename "$gradus")
command -v sbatch >/dev/null 2>&1 || die "sbatch not found: run this on a Slurm login node"
logs=${logs:-$prefix.slurm}
mkdir -p "$logs" "$(dirname "$prefix")"
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# sbatch options every stage shares.
common=(--parsable --requeue --open-mode=append --kill-on-invalid-dep=yes --chdir="$PWD"
        --time="$time_limit" --cpus-per-task="$cpus" --mem="$mem")
[ -n "$partition" ] && common+=(--partition="$partition")

submit() { # SBATCH-ARGS...: submit, print the job id alone
    local out
    out=$(sbatch "${common[@]}" "$@") || die "sbatch $* failed"
    echo "${out%%;*}"
}

# Stage 1: one array task per shard.
submit_index() {
    submit --job-name=gradus-index --array="0-$((shards - 1))" --output="$logs/slurm-%A_%a.out" \
        "$self" __index "$gradus" "$shards" "$prefix" "${#inputs[@]}" "${inputs[@]}" "${options[@]}"
}

# Stage 2 (after DEPENDENCY): the merge plan.
submit_plan() {
    submit --job-name=gradus-merge-plan --dependency="afterok:$1" --output="$logs/slurm-%j.out" \
        "$self" __plan "$gradus" "$shards" "$prefix"
}

# Stage 3 (after DEPENDENCY): one array task per shard.
submit_metrics() {
    submit --job-name=gradus-merge-metrics --dependency="afterok:$1" --array="0-$((shards - 1))" \
        --output="$logs/slurm-%A_%a.out" "$self" __metrics "$gradus" "$prefix"
}

# Stage 4 (after DEPENDENCY): finish.
submit_finish() {
    submit --job-name=gradus-merge-finish --dependency="afterok:$1" --output="$logs/slurm-%j.out" \
        "$self" __finish "$gradus" "$prefix"
}

index_job=$(submit_index)
plan_job=$(submit_plan "$index_job")
metrics_job=$(submit_metrics "$plan_job")
finish_job=$(submit_finish "$metrics_job")
jobs=("$index_job" "$plan_job" "$metrics_job" "$finish_job")
echo "index $index_job"
echo "plan $plan_job"
echo "metrics $metrics_job"
echo "finish $finish_job"
echo "index.sh: submitted ${#jobs[@]} stages for $shards shards; job output in $logs, result $prefix.idx" >&2
[ "$wait" = 1 ] || exit 0

# ---- --wait: squeue until no stage is queued or running, then scontrol for each job's state -------------
# (No accounting daemon needed: scontrol keeps finished jobs for the cluster's MinJobAge, 300 s by default.)
ids=$(IFS=,; echo "${jobs[*]}")
while [ -n "$(squeue -h -o %i -j "$ids" 2>/dev/null)" ]; do sleep 1; done
failed=0
for job in "${jobs[@]}"; do
    while read -r line; do
        [ -n "$line" ] || continue
        state=$(sed -n 's/.* JobState=\([^ ]*\).*/\1/p' <<< "$line")
        [ "$state" = COMPLETED ] && continue
        failed=1
        id=$(sed -n 's/^JobId=\([^ ]*\).*/\1/p' <<< "$line")
        task=$(sed -n 's/.* ArrayTaskId=\([^ ]*\).*/\1/p' <<< "$line")
        reason=$(sed -n 's/.* Reason=\([^ ]*\).*/\1/p' <<< "$line")
        out=$(sed -n 's/.* StdOut=\([^ ]*\).*/\1/p' <<< "$line")
        echo "index.sh: job $id${task:+ (array task $task)} ended $state (reason: ${reason:-none})" >&2
        if [ -n "$out" ] && [ -s "$out" ]; then
            echo "---- last lines of $out" >&2
            tail -n 30 "$out" >&2
        fi
    done < <(scontrol show job -o "$job" 2>/dev/null || echo "JobId=$job JobState=UNKNOWN Reason=not_known_to_scontrol")
done
[ $failed = 0 ] || die "the Slurm jobs did not all complete (job output in $logs)"
echo "index.sh: all jobs completed: $prefix.idx" >&2
