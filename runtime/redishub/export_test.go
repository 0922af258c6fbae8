package redishub

import "time"

// SetLivenessInterval changes how often a waiting client result checks its
// connection's channel, until the returned function restores it.
func SetLivenessInterval(d time.Duration) (restore func()) {
	old := livenessInterval
	livenessInterval = d
	return func() { livenessInterval = old }
}
