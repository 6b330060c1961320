#!/usr/bin/env bash
# The answer path against raw PostgreSQL, side by side in one run: trial
# PUTs through the full stack, saturated (500 participants,
# cmd/loadtest --interval 20ms), then pgbench single-row inserts of the same
# row into a table of the same shape (32 clients) on the same PostgreSQL.
# Both with synchronous_commit = on and fsync on (the private cluster's
# defaults). Prints both rates, their ratio, and the CPU seconds each
# process used during the load run.
#
#   docs/bench/answer_path.sh            # PORT=18240 (server), 18241 (pprof)
#   PROFILE=1 docs/bench/answer_path.sh  # also a 10 s CPU profile of the server
#   RUNS=3 docs/bench/answer_path.sh     # repeat the pair
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${BENCH_DIR:-/tmp/speed/answer-path}
port=${PORT:-18240}
runs=${RUNS:-1}
mkdir -p "$dir"
go build -o "$dir/mcc" ./cmd/mccollough
go build -o "$dir/loadtest" ./cmd/loadtest
bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1)")

rm -rf "$dir/data"
"$dir/mcc" serve --data "$dir/data" --addr "127.0.0.1:$port" --workers 0 --log-level warn \
  --sessions-per-client 0 --sessions-per-study 0 \
  --pprof "127.0.0.1:$((port + 1))" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
postmaster=$(sed -n 1p "$dir/data/postgres/postmaster.pid")
url="postgres://mccollough:$(cat "$dir/data/postgres.password")@127.0.0.1:$(sed -n 4p "$dir/data/postgres/postmaster.pid")/mccollough?sslmode=disable"

# The same row as an answer, into a table like trials (indexes and
# defaults, no foreign key), one INSERT per transaction.
"$bindir/psql" -X -q "$url" -c 'DROP TABLE IF EXISTS bench_trials' \
  -c 'CREATE TABLE bench_trials (LIKE trials INCLUDING ALL)' \
  -c 'SHOW synchronous_commit' -c 'SHOW fsync'
cat >"$dir/insert.sql" <<'SQL'
\set idx random(0, 2000000000)
INSERT INTO bench_trials (session_id, trial_index, phase, block, method, pattern, tint, response, rt_ms, onset_ms,
                          intended_ms, measured_ms, frames, dropped_frames, body)
VALUES (gen_random_uuid(), :idx, 'post', 1, 'constant_stimuli', 'a', 4, 'red', 512, 1000, 1000, 1000.2, 60, 0,
        '{"tint": 4, "response": "red", "rt_ms": 512, "onset_ms": 1000, "intended_ms": 1000, "measured_ms": 1000.2, "frames": 60, "dropped_frames": 0}');
SQL

# cpu PID...: user+system CPU seconds of the processes, with their reaped
# children (PostgreSQL's backends are the postmaster's children).
cpu() {
  local ticks=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    ticks=$((ticks + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")))
  done
  echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc
}
pg_cpu() { cpu "$postmaster" $(pgrep -P "$postmaster"); }

for run in $(seq "$runs"); do
  echo "== run $run of $runs ($(uptime | sed 's/.*load/load/'))"
  s0=$(cpu "$server"); p0=$(pg_cpu)
  if [ "${PROFILE:-}" = 1 ]; then
    (sleep 5; curl -s -o "$dir/cpu-$run.pprof" "http://127.0.0.1:$((port + 1))/debug/pprof/profile?seconds=10") &
  fi
  /usr/bin/time -f "loadtest CPU %U user + %S system s" "$dir/loadtest" --targets "http://127.0.0.1:$port" \
    --participants 500 --interval 20ms --database-url "$url" | tee "$dir/loadtest-$run.txt"
  echo "server CPU $(echo "$(cpu "$server") - $s0" | bc) s, PostgreSQL CPU $(echo "$(pg_cpu) - $p0" | bc) s"
  p0=$(pg_cpu)
  "$bindir/pgbench" -n -c 32 -j 2 -T 20 -f "$dir/insert.sql" "$url" | tee "$dir/pgbench-$run.txt"
  echo "pgbench: PostgreSQL CPU $(echo "$(pg_cpu) - $p0" | bc) s"
  overall=$(sed -n 's/^participants.*: \([0-9]*\) PUT\/s$/\1/p' "$dir/loadtest-$run.txt")
  saturated=$(sed -n 's/^steady .*: \([0-9]*\) PUT\/s$/\1/p' "$dir/loadtest-$run.txt")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/pgbench-$run.txt")
  echo "RESULT run $run: trial PUTs steady $saturated/s (overall $overall/s) vs pgbench $tps inserts/s:" \
    "$(echo "scale=2; $saturated / $tps" | bc)x (overall $(echo "scale=2; $overall / $tps" | bc)x)"
done
