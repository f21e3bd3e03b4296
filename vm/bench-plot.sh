#!/usr/bin/env bash
# Render the benchmark's figures on the host: take the CSV that kmsgq_bench
# printed in the guest (between KMSGQ-CSV-BEGIN and KMSGQ-CSV-END), write it
# next to the plot, and draw a PNG with gnuplot (installs gnuplot-nox if it
# is missing).
#
# Usage: vm/bench-plot.sh [INPUT] [OUTPUT.png]
#   INPUT   a guest log (vm/run-tests.sh keeps them in $KMSGQ_LOGS), or a CSV
#           file; default: the newest *bench*.out.log in $KMSGQ_LOGS
#           that has a CSV
#   OUTPUT  default: beside INPUT, named like it with .png (the log's
#           .out.log or the CSV's .csv replaced); the CSV is written beside
#           OUTPUT with .csv instead of .png
set -euo pipefail
vm_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=vm/config.sh
. "$vm_dir/config.sh"

in=${1:-}
out=${2:-}
if [ -z "$in" ]; then
	# The newest with a CSV (make bench-profile's logs have none).
	# shellcheck disable=SC2011,SC2012 # names are ours: date-pid, no odd characters
	in=$(ls -t "$KMSGQ_LOGS"/*bench*.out.log 2>/dev/null |
		xargs -r grep -l '^KMSGQ-CSV-BEGIN' | head -n 1 || true)
	[ -n "$in" ] || { echo "no $KMSGQ_LOGS/*bench*.out.log with a CSV: run make bench first" >&2; exit 1; }
fi
[ -r "$in" ] || { echo "cannot read $in" >&2; exit 1; }
if [ -z "$out" ]; then
	out=${in%.out.log}
	out=${out%.csv}.png
fi
case $out in *.png) ;; *) echo "OUTPUT must end in .png" >&2; exit 2 ;; esac
csv=${out%.png}.csv

# The CSV: from a log between the markers, or the file as it is.
if grep -q '^KMSGQ-CSV-BEGIN' "$in"; then
	tr -d '\r' <"$in" | sed -n '/^KMSGQ-CSV-BEGIN/,/^KMSGQ-CSV-END/p' |
		sed '1d;$d' >"$csv"
else
	tr -d '\r' <"$in" >"$csv"
fi
grep -q '^env,kernel,cpus,workload,transport,size' "$csv" ||
	{ echo "$in: no benchmark CSV in it" >&2; exit 1; }
echo "csv:  $csv"

if ! command -v gnuplot >/dev/null; then
	echo "installing gnuplot-nox"
	if ! apt-get install -y gnuplot-nox >/dev/null 2>&1; then
		apt-get update >/dev/null
		apt-get install -y gnuplot-nox >/dev/null
	fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Columns by name, from the CSV's header: runs add columns at the end
# (ratio_vs_shm_futex, host_load), and older CSVs lack them.
cols=$(awk -F, '/^env,/ { for (i = 1; i <= NF; i++) printf "%s=%d ", $i, i; exit }' "$csv")
col() {
	local c
	for c in $cols; do [ "${c%%=*}" = "$1" ] && echo "${c#*=}" && return; done
	echo 0
}
colvars=()
for n in workload transport size depth msgs_per_s cpu_ns_per_msg lat_median_ns \
	lat_p99_ns ratio_vs_mqueue host_load subscribers pub_cpu_ns_per_msg; do
	colvars+=(-v "c_$n=$(col "$n")")
done
nf=$(col ratio_vs_mqueue)

# One data file per workload and transport: size and the columns we plot.
awk -F, -v dir="$work" -v nf="$nf" "${colvars[@]}" '
/^#/ || /^env,/ || NF < nf { next }
{
	f = dir "/" $c_workload "." $c_transport ".dat"
	print $c_size, $c_msgs_per_s, $c_cpu_ns_per_msg, $c_lat_median_ns / 1000,
		$c_lat_p99_ns / 1000, $c_ratio_vs_mqueue >> f
	seen[$c_workload " " $c_transport] = 1
}
END { for (k in seen) print k > (dir "/index") }' "$csv"

title=$(awk -F, -v nf="$nf" "${colvars[@]}" '!/^#/ && !/^env,/ && NF >= nf {
	env = ($1 == "qemu-tcg-guest") ? "QEMU TCG guest" : $1
	load = (c_host_load && $c_host_load != "") ? ", host load " $c_host_load : ""
	printf "kmsgq benchmark, %s%s, kernel %s, %s CPUs (ratios within one run; absolute figures mean little under TCG)", env, load, $2, $3
	exit }' "$csv")
idle=$(sed -n 's/^# guest idle: \([^;]*\);.*/\1/p' "$csv" | head -n 1)

transports="mqueue pipe seqpacket shm-futex kmsgq-copy kmsgq-batch kmsgq-zc kmsgq-zc-reclaim kmsgq-uring kmsgq-fanout kmsgq-fanout-zc kmsgq-fanout-inplace"
# plot_lines WORKLOAD COLUMN [EXTRA]: a "plot" command with a line per
# transport present, or, if the run had no such workload, an empty panel.
plot_lines() {
	local wl=$1 col=$2 extra=${3:-} t sep='' s=''
	for t in $transports; do
		[ -f "$work/$wl.$t.dat" ] || continue
		s+="$sep'$work/$wl.$t.dat' using 1:$col with linespoints title '$t'"
		sep=', '
	done
	if [ -n "$s" ]; then
		echo "plot $s${extra:+, $extra}"
	else
		echo "set multiplot next"
	fi
}

# hist REGEX COLUMN DIVISOR BYSIZE: a row per transport, a column per
# workload matching REGEX (BYSIZE 1: per workload and size), of the CSV's
# column number COLUMN over DIVISOR; no rows if COLUMN is 0 (an older CSV).
hist() {
	awk -F, -v nf="$nf" -v re="$1" -v vc="$2" -v div="$3" -v bysize="$4" \
		"${colvars[@]}" '!/^#/ && !/^env,/ && NF >= nf && vc && $c_workload ~ re {
	key = bysize ? $c_workload "_" $c_size : $c_workload; v[$c_transport, key] = $vc / div
	if (!(key in k)) { k[key] = 1; keys[++nk] = key }
	if (!($c_transport in tt)) { tt[$c_transport] = 1; ts[++nt] = $c_transport }
}
END {
	printf "transport"; for (i = 1; i <= nk; i++) printf " %s", keys[i]; print ""
	for (j = 1; j <= nt; j++) {
		printf "%s", ts[j]
		for (i = 1; i <= nk; i++) printf " %s", ((ts[j], keys[i]) in v) ? v[ts[j], keys[i]] : "NaN"
		print ""
	}
}' "$csv"
}
# Ping-pong, 4:4 and fan-out 1:4 (msgs published): bar charts.
hist '^pingpong' "$(col lat_median_ns)" 1000 1 >"$work/pingpong.hist"
hist '^stream_4to4' "$(col msgs_per_s)" 1 0 >"$work/mpmc.hist"
hist '^fanout_1to4' "$(col msgs_per_s)" 1 1 >"$work/fanout.hist"
# Fan-out: the publisher's CPU per message by subscribers at the size of
# the first fan-out row (the sweep's), a line per transport (CSVs before
# fan-out have none: an empty panel).
awk -F, -v dir="$work" -v nf="$nf" "${colvars[@]}" '!/^#/ && !/^env,/ && NF >= nf && c_subscribers && $c_workload ~ /^fanout_1to[0-9]+$/ {
	if (size == "") size = $c_size
	if ($c_size != size) next
	print $c_subscribers, $c_pub_cpu_ns_per_msg | ("sort -n > \"" dir "/fansweep." $c_transport ".dat\"")
}' "$csv"
fanout_sweep=
for t in $transports; do
	[ -f "$work/fansweep.$t.dat" ] || continue
	fanout_sweep+="${fanout_sweep:+, }'$work/fansweep.$t.dat' using 1:2 with linespoints title '$t'"
done
# The first fan-out row's size (the sweep's) and depth, for the titles.
fansize='' fandepth=''
read -r fansize fandepth < <(awk -F, -v nf="$nf" "${colvars[@]}" '!/^#/ && !/^env,/ && NF >= nf && c_subscribers && $c_workload ~ /^fanout_1to[0-9]+$/ { print $c_size, $c_depth; exit }' "$csv") || true
# plot_bars NAME: a bar chart of $work/NAME.hist, or an empty panel if the
# run had no such workload.
plot_bars() {
	local n
	n=$(head -n 1 "$work/$1.hist" | wc -w)
	if [ "$n" -gt 1 ]; then
		echo "plot for [i=2:$n] '$work/$1.hist' using i:xtic(1) title columnheader(i)"
	else
		echo "set multiplot next"
	fi
}

cat >"$work/plot.gp" <<EOF
set terminal pngcairo size 1800,2000 font ",10" noenhanced
set output '$out'
set datafile missing 'NaN'
set multiplot layout 4,2 title "$title\nguest idle: ${idle:-?}; depth and max message size equal for all transports; median of interleaved rounds"
set key top right font ",9"
set grid
set logscale x 2
set xlabel 'message size (bytes)'

set title '1:1 throughput, producer CPU 0 -> consumer CPU 1'
set logscale y
set ylabel 'msgs/s'
$(plot_lines stream_1to1 2)

set title '1:1 throughput, both processes on CPU 0'
$(plot_lines stream_1to1_1cpu 2)

set title '1:1 throughput relative to mqueue (CPU 0 -> CPU 1)'
set ylabel 'x mqueue (msgs/s ratio)'
$(plot_lines stream_1to1 6 "1 with lines dashtype 2 lc 'black' notitle")

set title '1:1 throughput relative to mqueue (both on CPU 0)'
$(plot_lines stream_1to1_1cpu 6 "1 with lines dashtype 2 lc 'black' notitle")

unset logscale x
set xlabel ''
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -20
set boxwidth 0.9
set key above horizontal

set title 'ping-pong median round trip (log scale; lower is better)'
set ylabel 'microseconds'
set logscale y
$(plot_bars pingpong)

set title '4 producers : 4 consumers, 64 B, aggregate throughput'
set ylabel 'msgs/s'
unset logscale y
set yrange [0:*]
$(plot_bars mpmc)

set title 'fan-out, 1 publisher : 4 subscribers, messages published/s, depth ${fandepth:-?}'
set ylabel 'msgs/s'
$(plot_bars fanout)

set style data linespoints
set title 'fan-out: publisher CPU per message by subscribers, ${fansize:-?} B, depth ${fandepth:-?}, not pinned (lower is better)'
set xlabel 'subscribers'
set ylabel 'publisher CPU ns/msg (log scale)'
set xtics norotate autofreq
set logscale x 2
set logscale y
set yrange [*:*]
set key inside top left vertical
$(if [ -n "$fanout_sweep" ]; then echo "plot $fanout_sweep"; else echo "set multiplot next"; fi)
unset multiplot
EOF
gnuplot "$work/plot.gp"
echo "plot: $out"
