# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Table helpers shared by the benchmarks (tests/bench/bench.sh, tcp.sh).
# They read "system case value" lines, one per measurement, from the file
# named by $RAW; the n-th line of a (system, case) pair is that pair's run n.
# A value that is not a number (e.g. "fail") keeps its run's place but is
# left out of medians and ratios.
#
#   median SYS CASE              median of the pair's figures ("-" if none)
#   ratio A B                    A / B of two figures ("-" if either is missing or B is 0)
#   ratio_runs A B CASE          A / B within each run, median [min-max]
#   table_head HDR SEP PAIR...   a table header with one "o / t" column per pair

median() { # median SYS CASE
	awk -v s="$1" -v c="$2" '$1 == s && $2 == c && $3 ~ /^[0-9.]/ { print $3 }' "$RAW" | sort -g |
		awk '{ v[++n] = $1 } END { if (!n) { print "-"; exit }
		      printf "%g", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

ratio() { # ratio A B: A / B
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
		else printf "%.2f", a / b }'
}

# ratio_runs A B CASE: A / B within each run (the n-th figure of each), median [min-max].
# The machine's speed drifts between runs; a ratio taken inside one run does not see that.
ratio_runs() {
	awk -v a="$1" -v b="$2" -v c="$3" '
		$2 == c && $3 != "" && $1 == a { va[++na] = $3 }
		$2 == c && $3 != "" && $1 == b { vb[++nb] = $3 }
		END {
			n = na < nb ? na : nb
			for (i = 1; i <= n; i++)
				if (va[i] ~ /^[0-9.]/ && vb[i] ~ /^[0-9.]/ && vb[i] + 0 > 0)
					r[++m] = va[i] / vb[i]
			if (!m) { print "-"; exit }
			for (i = 2; i <= m; i++) {
				x = r[i]
				for (j = i - 1; j >= 1 && r[j] > x; j--)
					r[j + 1] = r[j]
				r[j + 1] = x
			}
			med = m % 2 ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
			if (m == 1)
				printf "%.2f", med
			else
				printf "%.2f [%.2f-%.2f]", med, r[1], r[m]
		}' "$RAW"
}

# table_head HDR SEP PAIR...: the header rows, with one "o / t" column per pair.
table_head() {
	local hdr=$1 sep=$2 o
	shift 2
	for o in "$@"; do
		hdr+=" ${o:0:1} / ${o:1:1} |"
		sep+="---:|"
	done
	echo "$hdr"
	echo "$sep"
}
