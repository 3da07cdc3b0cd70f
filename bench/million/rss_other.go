//go:build !unix

package million

import "os"

// ProcessMaxRSS is not known on this system.
func ProcessMaxRSS(*os.ProcessState) uint64 { return 0 }

// MaxRSS is not known on this system.
func MaxRSS() uint64 { return 0 }

// RusageBytes is not known on this system.
func RusageBytes(int64) uint64 { return 0 }

// RSS is not known on this system.
func RSS() uint64 { return 0 }
