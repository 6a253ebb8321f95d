//go:build unix

package grid

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user + system) used by the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestMain-free hook: benchmarks call reportCPU to add "cpu-ms/op", which
// stays meaningful on a loaded machine where wall time does not.
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(cpuTime()-start)/1e6/float64(ops), "cpu-ms/op")
	}
}
