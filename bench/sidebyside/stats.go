package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// median of durations.
func median(ds []time.Duration) time.Duration { return quantile(ds, 0.5) }

// quantile returns the q-quantile (nearest rank) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minMaxF(xs []float64) (float64, float64) {
	return slices.Min(xs), slices.Max(xs)
}

// rate formats events per second.
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.0fk", r/1e3)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// rates formats the median and range of rates.
func rates(xs []float64, unit string) string {
	lo, hi := minMaxF(xs)
	if len(xs) == 1 {
		return fmt.Sprintf("%s %s", rate(xs[0]), unit)
	}
	return fmt.Sprintf("%s %s (%s–%s, %d rounds)", rate(medianF(xs)), unit, rate(lo), rate(hi), len(xs))
}

// secs formats the median and range of times in seconds.
func secs(xs []float64) string {
	lo, hi := minMaxF(xs)
	if len(xs) == 1 {
		return fmt.Sprintf("%.2f s", xs[0])
	}
	return fmt.Sprintf("%.2f s (%.2f–%.2f, %d rounds)", medianF(xs), lo, hi, len(xs))
}
