# Scaling plot of scripts/bench.sh: refresh time, peak RSS, body size and scrapes/s against the
# number of accounts, log-log. Usage:
#   gnuplot -e "data='docs/bench/scaling.dat'; out='docs/bench/scaling.png'" scripts/bench/plot.gp
# Columns of the data file (written by scripts/bench.sh, '#' lines are comments):
#   1 N  2 cold scrape s  3 slowest collector s  4 cold scrape at 200 ms upstream s
#   5 longest chain (requests)  6 peak RSS after cold + every format MiB
#   7 peak RSS after 16-conn runs MiB  8 peak RSS 64 conns gzip MiB  9 peak RSS 64 conns plain MiB
#   10 body gzip bytes  11 body plain bytes
#   12 exporter gzip/s  13 nginx gzip/s  14 exporter plain/s  15 nginx plain/s
#   16 exporter gzip/s 64 conns  17 exporter plain/s 64 conns

if (!exists("data")) data = 'docs/bench/scaling.dat'
if (!exists("out")) out = 'docs/bench/scaling.png'

set terminal pngcairo size 1400,1000 font 'sans,11' enhanced
set output out
set datafile commentschars '#'
set logscale xy
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key box opaque samplen 2 font 'sans,9' noenhanced
set xlabel 'accounts (N)'
set format x '10^{%L}'
set xrange [50:200000]
set style data linespoints
set pointsize 1.2

set multiplot layout 2,2 title 'proxy911-exporter scaling (scripts/bench.sh)' font 'sans,14'

set title 'Refresh time'
set key bottom right
set ylabel 'seconds'
set format y '%g'
plot data using 1:2 title 'cold scrape, loopback simulator' lw 2 pt 7, \
     data using 1:3 title 'slowest collector (proxy911_collector_duration_seconds)' lw 2 pt 5, \
     data using 1:4 title 'cold scrape, 200 ms upstream latency' lw 2 pt 9, \
     data using 1:($5*0.2) title 'longest request chain x 200 ms' lw 1 dt 2 pt 0

set title 'Peak RSS (VmHWM)'
set key top left
set ylabel 'MiB'
$targets << EOD
10000 40
100000 100
EOD
plot data using 1:6 title 'cold refresh + every format' lw 2 pt 7, \
     data using 1:8 title '64 conns, gzip, TTL 5 s' lw 2 pt 5, \
     data using 1:9 title '64 conns, plain, TTL 5 s' lw 2 pt 9, \
     $targets using 1:2 title 'targets' with points pt 3 ps 2.5 lc rgb 'red'

set title 'Body size (classic text format)'
set format y '10^{%L}'
set key bottom right
set ylabel 'bytes'
plot data using 1:11 title 'plain' lw 2 pt 7, \
     data using 1:10 title 'gzip' lw 2 pt 5

set title 'Cached scrapes/s (wrk -t2 -c16, same bytes from nginx)'
set key bottom left
set ylabel 'scrapes/s'
plot data using 1:12 title 'exporter gzip' lw 2 pt 7 lc rgb '#1f77b4', \
     data using 1:13 title 'nginx gzip' lw 2 pt 6 dt 2 lc rgb '#1f77b4', \
     data using 1:14 title 'exporter plain' lw 2 pt 5 lc rgb '#d62728', \
     data using 1:15 title 'nginx plain' lw 2 pt 4 dt 2 lc rgb '#d62728'

unset multiplot
