# Plot of scripts/bench/multi_target.sh: the exporter's resident memory against the number of
# targets filled (1,000 targets of 100 accounts), and the latency of cached probes by
# percentile while other targets refresh; with the experiments' data (see
# BENCHMARKS.md, "Several targets"). Usage:
#   gnuplot scripts/bench/multi_target.gp          (docs/bench/multi_target*.dat → .png)
#   gnuplot -e "fill='F'; latency='L'; out='O'" scripts/bench/multi_target.gp   (one run)
# Columns of a fill file ('#' lines are comments):
#   1 targets filled  2 VmRSS MiB  3 VmHWM MiB  4 open fds  5 seconds since the fill started
# Columns of a latency file: 1 percentile  2 x = -log10(1 - percentile/100) (the last row, the
#   maximum, at x = 4.3)  3… milliseconds, one column per refresh load, in the order of
#   MT_RATES (default "0 17 100 max": idle, 17 and 100 target refreshes/s, as fast as it goes)

experiments = !exists("fill")
if (!exists("fill")) fill = 'docs/bench/multi_target_fill.dat'
if (!exists("latency")) latency = 'docs/bench/multi_target_latency.dat'
if (!exists("out")) out = 'docs/bench/multi_target.png'
fill_before = 'docs/bench/multi_target_fill_before.dat'
latency_before = 'docs/bench/multi_target_latency_before.dat'
fill_pool = 'docs/bench/multi_target_fill_pool1.dat'
fill_trim = 'docs/bench/multi_target_fill_trim1s.dat'
fill_fixed = 'docs/bench/multi_target_fill_fixed.dat'
latency_fixed = 'docs/bench/multi_target_latency_fixed.dat'

set terminal pngcairo size 1800,600 font 'sans,11' noenhanced
set output out
set datafile commentschars '#'
set grid xtics ytics lc rgb '#dddddd'
set key box opaque samplen 2 font 'sans,9' noenhanced

set multiplot layout 1,3 title 'proxy911-exporter: 1,000 targets x 100 accounts in one process (scripts/bench/multi_target.sh)' font 'sans,13'

set title 'Resident memory as targets are filled (one cold probe each)'
set xlabel 'targets filled'
set ylabel 'MiB'
set y2label 'open fds (baseline)'
set ytics nomirror
set y2tics
set yrange [0:600]
set y2range [0:15000]
set key top left
if (experiments) {
  plot fill using 1:2 title 'VmRSS, in the tree (e8c8a36)' with linespoints lw 3 pt 7 lc rgb '#1f77b4', \
       fill using 1:4 axes x1y2 title 'open fds, in the tree (right axis)' with lines lw 1 lc rgb '#7f7f7f', \
       fill_before using 1:2 title 'VmRSS before the fixes (47951c4)' with linespoints lw 2 pt 7 lc rgb '#d62728', \
       fill_before using 1:4 axes x1y2 title 'open fds before (right axis)' with lines lw 1 dt 3 lc rgb '#d62728', \
       fill_trim using 1:2 title 'exp. A: malloc_trim at most 1/s' with linespoints lw 1 pt 6 dt 2 lc rgb '#ff7f0e', \
       fill_pool using 1:2 title 'exp. B: 1 idle connection, tail at its size' with linespoints lw 1 pt 4 dt 2 lc rgb '#2ca02c', \
       fill_fixed using 1:2 title 'exp. C: B + trim 1/s and after the last' with linespoints lw 2 pt 5 lc rgb '#9467bd', \
       300 title 'target: 300 MiB' with lines lw 2 dt 2 lc rgb 'red'
} else {
  plot fill using 1:2 title 'VmRSS' with linespoints lw 2 pt 7 lc rgb '#1f77b4', \
       fill using 1:4 axes x1y2 title 'open fds (right axis)' with lines lw 1 lc rgb '#7f7f7f', \
       300 title 'target: 300 MiB' with lines lw 2 dt 2 lc rgb 'red'
}

unset y2label
unset y2tics
set ytics mirror
set xlabel 'percentile'
set ylabel 'ms'
set logscale y
set yrange [0.1:1000]
set xrange [0:4.4]
set xtics ('50' 0.301, '90' 1, '99' 2, '99.9' 3, '99.99' 4, 'max' 4.3)
set key bottom right

set title 'Cached probes (gzip, to the last byte) while other targets refresh: in the tree'
plot latency using 2:3 title 'no refreshes' with linespoints lw 2 pt 7, \
     latency using 2:4 title '17 target refreshes/s (1,000 targets, TTL 60 s)' with linespoints lw 2 pt 5, \
     latency using 2:5 title '100 target refreshes/s' with linespoints lw 2 pt 9, \
     latency using 2:6 title 'as fast as 4 connections drive them' with linespoints lw 2 pt 11, \
     10 title 'target: p99 < 10 ms' with lines lw 2 dt 2 lc rgb 'red'

if (experiments) {
  set title 'The same before the fixes (47951c4: malloc_trim after every refresh)'
  plot latency_before using 2:3 title 'no refreshes' with linespoints lw 2 pt 7, \
       latency_before using 2:4 title '17 target refreshes/s' with linespoints lw 2 pt 5, \
       latency_before using 2:5 title '100 target refreshes/s asked (61/s done)' with linespoints lw 2 pt 9, \
       latency_before using 2:6 title 'as fast as 4 connections drive them' with linespoints lw 2 pt 11, \
       10 title 'target: p99 < 10 ms' with lines lw 2 dt 2 lc rgb 'red'
}

unset multiplot
