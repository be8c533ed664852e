#!/usr/bin/env bash
# The sharded indexing on a real Slurm (issue 16 item 4; run by `make test` after the Python tests):
# installs Debian's slurm-wlm and munge where missing, starts a single-node cluster on localhost in a
# temporary directory (tools/slurm/cluster.sh), runs tools/slurm/index.sh on two shipped corpora with
# N = 3 shards and --wait, and checks with the gradus CLI that the merged index equals a single-process
# `gradus index` of the same inputs: `info --json` (inputs, counts, metric percentiles and histograms
# from the order tables) and `dump --metrics --tokens` (every sample's ids, tokens and metric values)
# byte for byte, and `gradus verify` on it. Then it checks that a failing stage fails the driver with
# the job's own error message. The cluster is stopped on every exit (trap), failure or not.
# Where the daemons cannot start here it prints "SKIP: <reason>" and exits 0.
#
#   tools/test_slurm.sh .build/debug/gradus
set -euo pipefail
shopt -s extglob
cd "$(dirname "$0")/.."
gradus=$(cd "$(dirname "${1:?usage: tools/test_slurm.sh GRADUS_BINARY}")" && pwd)/$(basename "$1")
[ -x "$gradus" ] || { echo "test_slurm: $gradus is not an executable gradus binary" >&2; exit 1; }
started=$(date +%s)

# Debian's Slurm and munge, only where missing (like tools/setup.sh). Their packages' postinst scripts
# may try to start the system services; what they start (if anything) uses /etc, not this test.
missing=()
for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || { echo "SKIP: ${missing[*]} missing and no apt-get to install them"; exit 0; }
    echo "test_slurm: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    started=$(date +%s)
fi
PATH=$PATH:/usr/sbin:/sbin
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: slurmd must run as root to start jobs (running as uid $(id -u))"; exit 0; fi

work=$(mktemp -d /tmp/gradus-slurm.XXXXXX)
chmod a+x "$work"   # searchable (not readable) by all, as munged wants the path to its socket
cleanup() {
    tools/slurm/cluster.sh stop "$work/cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT; trap "exit 143" TERM   # so that EXIT runs cleanup on Ctrl-C and kill too
if ! tools/slurm/cluster.sh start "$work/cluster" > "$work/start.log" 2>&1; then
    cat "$work/start.log" >&2
    echo "SKIP: the single-node Slurm cluster did not start here (log above)"
    exit 0
fi
export SLURM_CONF=$work/cluster/slurm.conf
echo "test_slurm: cluster up in $(( $(date +%s) - started )) s" >&2

# The appstream sample uncompressed (7.9 MB) and cut into pieces of at most 2 MB, so every shard
# reads a part of it (a whole-file input would go to one shard).
zstd -dqc corpora/appstream.sample.jsonl.zst > "$work/appstream.jsonl"
inputs=(corpora/udhr.sample.jsonl.zst "$work/appstream.jsonl")
options=(--tokenizer corpora/tokenizer.json --pack 128 --max-piece-bytes 2000000)
slurm=(--shards 3 --cpus-per-task 1 --mem 1G --time 10 --wait)
fail() { # the jobs' output goes with the temporary directory: show it first
    local f
    for f in "$work"/run/logs/*.out; do [ -e "$f" ] && { echo "---- $f" >&2; tail -n 20 "$f" >&2; }; done
    echo "test_slurm: FAILED: $*" >&2; exit 1
}

# The jobs run gradus through a stand-in that makes Slurm re-queue three of them part way, as a
# preemption would: the first run of shard 1 is killed (SIGKILL) after 2 committed batches, the first
# metrics task of shard 1 before its values are renamed into place, the first finish when it starts
# the order tables (the test hooks of docs/reliability.md); each then asks Slurm to re-queue it. Their
# second runs must continue (--resume) and redo their stage to an equal result.
cat > "$work/gradus-requeued" <<STANDIN
#!/usr/bin/env bash
case "\$1 \${2:-}" in
    "merge finish") phase=order ;;
    "merge metrics") phase=metrics-commit; [ "\${SLURM_ARRAY_TASK_ID:-}" = 1 ] || phase="" ;;
    "merge plan") phase="" ;;
    *) phase=none; [ "\${SLURM_ARRAY_TASK_ID:-}" = 1 ] || phase="" ;;
esac
if [ "\${SLURM_RESTART_COUNT:-0}" = 0 ] && [ -n "\$phase" ]; then
    GRADUS_TEST_BATCH_RECORDS=500 GRADUS_TEST_ABORT_AFTER_BATCHES=2 GRADUS_TEST_ABORT_AT_PHASE=\$phase "$gradus" "\$@" || true
    echo "test stand-in: first run ended; re-queueing"
    if [ -n "\${SLURM_ARRAY_JOB_ID:-}" ]; then job=\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}; else job=\$SLURM_JOB_ID; fi
    scontrol requeue "\$job"
    sleep 60; exit 1
fi
exec "$gradus" "\$@"
STANDIN
chmod +x "$work/gradus-requeued"
tools/slurm/index.sh "${slurm[@]}" --gradus "$work/gradus-requeued" --out "$work/run/c" --logs "$work/run/logs" \
    "${inputs[@]}" -- "${options[@]}" > "$work/jobs.txt" || fail "tools/slurm/index.sh did not complete (messages above)"
job() { sed -n "s/^$1 \\([0-9]*\\)$/\\1/p" "$work/jobs.txt"; }
for stage in index plan metrics finish; do [ -n "$(job $stage)" ] || fail "no $stage job id printed: $(cat "$work/jobs.txt")"; done
for i in 0 1 2; do
    [ -d "$work/run/c.shard-$i.idx" ] || fail "shard $i was not written"
    [ -e "$work/run/logs/slurm-$(job index)_$i.out" ] || fail "no job output of index task $i in $work/run/logs"
    [ -e "$work/run/logs/slurm-$(job metrics)_$i.out" ] || fail "no job output of metrics task $i in $work/run/logs"
done
shard1=$work/run/logs/slurm-$(job index)_1.out
metrics1=$work/run/logs/slurm-$(job metrics)_1.out
finish_log=$work/run/logs/slurm-$(job finish).out
grep -q "(restart 1)" "$shard1" && grep -q "resuming" "$shard1" \
    || { cat "$shard1" >&2; fail "shard 1 was not re-queued and resumed"; }
grep -q "(restart 1)" "$metrics1" || { cat "$metrics1" >&2; fail "the metrics of shard 1 were not re-queued and redone"; }
grep -q "(restart 1)" "$finish_log" && grep -q "redoing" "$finish_log" \
    || { cat "$finish_log" >&2; fail "the finish was not re-queued and redone"; }
echo "test_slurm: 3 shards and the 3 merge stages ran under Slurm in $(( $(date +%s) - started )) s" >&2

"$gradus" index "${inputs[@]}" "${options[@]}" --out "$work/one.idx" 2>/dev/null
"$gradus" verify "$work/run/c.idx" > "$work/verify.txt" 2>&1 || { cat "$work/verify.txt" >&2; fail "gradus verify refused the merged index"; }
# info --json names the index directory first; everything after it is content.
"$gradus" info "$work/one.idx" --json | sed 's/^{"index":"[^"]*",//' > "$work/one.info"
"$gradus" info "$work/run/c.idx" --json | sed 's/^{"index":"[^"]*",//' > "$work/merged.info"
cmp -s "$work/one.info" "$work/merged.info" || { diff "$work/one.info" "$work/merged.info" >&2 || true; fail "info --json differs"; }
grep -q '"samples":[1-9]' "$work/one.info" || fail "the single-process index has no samples: $(cat "$work/one.info")"
"$gradus" dump "$work/one.idx" --metrics --tokens > "$work/one.dump"
"$gradus" dump "$work/run/c.idx" --metrics --tokens > "$work/merged.dump"
cmp "$work/one.dump" "$work/merged.dump" || fail "dump --metrics --tokens differs between the merged and the single-process index"
echo "test_slurm: merged index equals the single-process one ($(wc -l < "$work/one.dump") samples)" >&2

# A failing stage: the tasks cannot read the tokenizer, the merge is cancelled, the driver exits 1 and
# shows the task's gradus error.
if tools/slurm/index.sh "${slurm[@]}" --gradus "$gradus" --out "$work/bad/c" --logs "$work/bad/logs" "${inputs[@]}" -- \
    --tokenizer "$work/no-such-tokenizer.json" > /dev/null 2> "$work/bad.txt"; then
    fail "index.sh --wait exited 0 although every index task failed"
fi
grep -q "no-such-tokenizer.json" "$work/bad.txt" || { cat "$work/bad.txt" >&2; fail "the failing task's error was not printed"; }
grep -q "gradus-merge\|ended CANCELLED" "$work/bad.txt" || { cat "$work/bad.txt" >&2; fail "the cancelled merge job was not reported"; }

echo "slurm test passed in $(( $(date +%s) - started )) s (cluster, 3-shard index + merge, failure path)"
