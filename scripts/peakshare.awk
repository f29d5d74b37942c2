# peakshare.awk: make bench's filter of `go test -bench` output. It passes every line through,
# takes the fp32 peak from the BenchmarkPeak line (internal/peak, run first) and appends
# "(N% of peak)" to each later CPU benchmark line reporting GFLOP/s (not the GPU's: the peak is
# the CPU's).
/^pkg: / { pkg = $2 }
{
	rate = ""
	for (i = 2; i <= NF; i++)
		if ($i == "GFLOP/s")
			rate = $(i - 1)
}
rate != "" && /^BenchmarkPeak/ { peak = rate; print; next }
rate != "" && peak > 0 && pkg !~ /\/gpu(\/|$)/ {
	printf "%s (%.0f%% of peak)\n", $0, 100 * rate / peak
	next
}
{ print }
