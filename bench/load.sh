#!/usr/bin/env bash
# Load figures for bench/RESULTS.md: rankflow serve on loopback, driven by
# rankflow bench over gRPC, for the popular feed on the memory store and on
# Redis (127.0.0.1:6379, keys under a prefix that is deleted afterwards).
# Prints req/s and latency per concurrency, the server's CPU per request and
# its RSS. Usage: bench/load.sh [seconds per run, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bin=$(mktemp -d)/rankflow
go build -o "$bin" ./cmd/rankflow
port=18181
prefix="rankflow-load-$$:"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

concurrencies="1 16 64"

run() { # run NAME SERVE-ARGS...
	local name=$1; shift
	"$bin" serve --listen "127.0.0.1:$port" --access-log-sample 0 --log-level warn "$@" >/dev/null 2>"/tmp/rankflow-load-$name.log" &
	local pid=$!
	for _ in $(seq 100); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
	"$bin" bench -addr "127.0.0.1:$port" -pipeline popular -users 1000 -limit 25 -c 4 -d 3s >/dev/null # warm caches
	for c in $concurrencies; do
		local before after hz
		hz=$(getconf CLK_TCK)
		before=$(cpu_ticks $pid)
		: > /tmp/rankflow-load-quality
		( while :; do curl -s "127.0.0.1:$port/metrics" | awk '/^rankflow_quality_factor/ {print $2}' >> /tmp/rankflow-load-quality; sleep 0.5; done ) &
		poller=$!
		out=$("$bin" bench -addr "127.0.0.1:$port" -pipeline popular -users 1000 -limit 25 -c $c -d "${secs}s" -warmup 0s -json)
		after=$(cpu_ticks $pid)
		kill $poller 2>/dev/null || true
		wait $poller 2>/dev/null || true
		minq=$(sort -g "/tmp/rankflow-load-quality" 2>/dev/null | head -1)
		shed=$(curl -s "127.0.0.1:$port/metrics" | awk '/^rankflow_shed_requests_total/ {print $2}')
		echo "$out" | python3 -c "
import json,sys
d=json.load(sys.stdin)
s=d['summary'] if 'summary' in d else d
cpu_us=($after-$before)/$hz*1e6/max(1,s['requests'])
l=s['latency_seconds']
errs=sum((s.get('errors') or {}).values())
print(f\"| $name | $c | {s['requests_per_second']:.0f} | {l['p50']*1e3:.2f} | {l['p99']*1e3:.2f} | {l['max']*1e3:.1f} | {errs} | {cpu_us:.0f} | $(rss_kb $pid) | ${minq:-1} | ${shed:-0} |\")
"
	done
	kill -TERM $pid; wait $pid || true
}

echo "| store | concurrency | req/s | p50 ms | p99 ms | max ms | errors | server CPU µs/req | server RSS KiB | lowest quality | shed (total) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
run memory
# Past saturation: a small in-flight cap and latency target, so the server
# degrades (fewer candidates) and sheds what it still cannot serve.
concurrencies="128 256" run overload --max-inflight 48 --target-latency 10ms
concurrencies="1 16 64"
"$bin" load --redis 127.0.0.1:6379 --redis-prefix "$prefix" >/dev/null
trap 'redis-cli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli del >/dev/null' EXIT
run redis+cache --redis 127.0.0.1:6379 --redis-prefix "$prefix"
run redis --redis 127.0.0.1:6379 --redis-prefix "$prefix" --no-cache

# The floor: the same pipeline in-process plus two empty unary calls (the
# load generator's and the server's side of one call each), same machine.
echo
echo "In-process cost of the same work, for the floor (cpu_ns/op is CPU of client and server together):"
go test -run '^$' -bench 'ServedPopular|EmptyUnary/stack=grpc-go/calls=parallel' -benchtime 3s -count 3 ./bench | grep -E '^Benchmark'
