//go:build unix

package million

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// MaxRSS is the peak resident set size of this process so far, in bytes.
func MaxRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return RusageBytes(int64(ru.Maxrss))
}

// ProcessMaxRSS is the peak resident set size of an ended child process,
// in bytes.
func ProcessMaxRSS(ps *os.ProcessState) uint64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return RusageBytes(int64(ru.Maxrss))
	}
	return 0
}

// RusageBytes converts ru_maxrss to bytes: kilobytes on Linux and the
// BSDs, bytes on macOS.
func RusageBytes(maxrss int64) uint64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(maxrss)
	}
	return uint64(maxrss) * 1024
}

// RSS is the resident set size now, in bytes (Linux; 0 elsewhere).
func RSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
