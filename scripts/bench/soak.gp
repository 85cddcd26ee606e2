# Soak plot of scripts/bench/soak.sh: RSS, open fds and threads of the exporter against time,
# with the fault phase shaded. Usage:
#   gnuplot -e "data='docs/bench/soak.dat'; out='docs/bench/soak.png'" scripts/bench/soak.gp
# Columns of the data file ('#' lines are comments):
#   1 elapsed s  2 VmRSS MiB  3 VmHWM MiB  4 open fds  5 threads  6 fault phase (index)
#   7 scrapes  8 scrapes not 200  9 admin calls  10 admin calls without an answer

if (!exists("data")) data = 'docs/bench/soak.dat'
if (!exists("out")) out = 'docs/bench/soak.png'

set terminal pngcairo size 1400,1000 font 'sans,11' enhanced
set output out
set datafile commentschars '#'
set grid xtics ytics lc rgb '#dddddd'
set key box opaque samplen 2 font 'sans,9' noenhanced
set xlabel 'minutes'
set style data lines

set multiplot layout 2,2 title 'proxy911-exporter soak: scrapes, admin calls, a fault a minute (scripts/bench/soak.sh)' font 'sans,14'

set title 'Resident memory'
set key bottom right
set ylabel 'MiB'
set yrange [0:*]
plot data using ($1/60):2 title 'VmRSS' lw 2 lc rgb '#1f77b4', \
     data using ($1/60):3 title 'VmHWM (peak)' lw 1 dt 2 lc rgb '#d62728'

set title 'Open file descriptors (/proc/PID/fd)'
set key bottom right
set ylabel 'fds'
plot data using ($1/60):4 title 'open fds' lw 2 lc rgb '#2ca02c'

set title 'Threads (/proc/PID/task)'
set ylabel 'threads'
plot data using ($1/60):5 title 'threads' lw 2 lc rgb '#9467bd'

set title 'Load and fault phase'
set key top left
set ylabel 'requests'
set y2label 'fault phase'
set y2range [-0.5:7.5]
set y2tics ('none' 0, 'latency 300ms' 1, 'http500' 2, 'drift' 3, 'redirect' 4, 'http429' 5, 'malformed' 6, '1s+500' 7) font 'sans,8'
plot data using ($1/60):7 title 'scrapes' lw 2 lc rgb '#1f77b4', \
     data using ($1/60):9 title 'admin calls' lw 2 lc rgb '#ff7f0e', \
     data using ($1/60):8 title 'scrapes not 200' lw 2 lc rgb '#d62728', \
     data using ($1/60):6 axes x1y2 title 'fault phase' with steps lw 1 lc rgb '#7f7f7f'

unset multiplot
