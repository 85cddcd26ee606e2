# Plot of scripts/bench/multi_target.sh: the exporter's resident memory against the number of
# targets filled (1,000 targets of 100 accounts), and the latency of cached probes by
# percentile while other targets refresh. Usage:
#   gnuplot -e "fill='docs/bench/multi_target_fill.dat'; latency='docs/bench/multi_target_latency.dat'; out='docs/bench/multi_target.png'" scripts/bench/multi_target.gp
# Columns of the fill file ('#' lines are comments):
#   1 targets filled  2 VmRSS MiB  3 VmHWM MiB  4 open fds  5 seconds since the fill started
# Columns of the latency file: 1 percentile  2 x = -log10(1 - percentile/100) (the last row,
#   the maximum, at x = 4.3)  3… milliseconds, one column per refresh load, in the order of
#   MT_RATES (default "0 17 100 max": idle, 17 and 100 target refreshes/s, as fast as it goes)

if (!exists("fill")) fill = 'docs/bench/multi_target_fill.dat'
if (!exists("latency")) latency = 'docs/bench/multi_target_latency.dat'
if (!exists("out")) out = 'docs/bench/multi_target.png'

set terminal pngcairo size 1400,560 font 'sans,11' enhanced
set output out
set datafile commentschars '#'
set grid xtics ytics lc rgb '#dddddd'
set key box opaque samplen 2 font 'sans,9' noenhanced

set multiplot layout 1,2 title 'proxy911-exporter: 1,000 targets x 100 accounts in one process (scripts/bench/multi_target.sh)' font 'sans,13'

set title 'Resident memory as targets are filled (one cold probe each)'
set xlabel 'targets filled'
set ylabel 'MiB'
set y2label 'open fds'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key top left
plot fill using 1:2 title 'VmRSS' with linespoints lw 2 pt 7 lc rgb '#1f77b4', \
     fill using 1:3 title 'VmHWM (peak)' with lines lw 1 dt 2 lc rgb '#1f77b4', \
     fill using 1:4 axes x1y2 title 'open fds (right axis)' with lines lw 1 lc rgb '#7f7f7f', \
     300 title 'target: 300 MiB' with lines lw 2 dt 2 lc rgb 'red'

unset y2label
unset y2tics
set ytics mirror
set title 'Cached probes (gzip, to the last byte) while other targets refresh'
set xlabel 'percentile'
set ylabel 'ms'
set logscale y
set yrange [*:*]
set xrange [0:4.4]
set xtics ('50' 0.301, '90' 1, '99' 2, '99.9' 3, '99.99' 4, 'max' 4.3)
set key top left
plot latency using 2:3 title 'no refreshes' with linespoints lw 2 pt 7, \
     latency using 2:4 title '17 target refreshes/s (1,000 targets, TTL 60 s)' with linespoints lw 2 pt 5, \
     latency using 2:5 title '100 target refreshes/s' with linespoints lw 2 pt 9, \
     latency using 2:6 title 'refreshes as fast as 4 connections drive them' with linespoints lw 2 pt 11, \
     10 title 'target: p99 < 10 ms' with lines lw 2 dt 2 lc rgb 'red'

unset multiplot
