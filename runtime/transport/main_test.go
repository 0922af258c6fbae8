package transport_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The Server's heartbeat (ExampleDial, TestDialHub, TestDialServer) ends
	// on its own up to a second after its last connection; it is the
	// server's, not the client's.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/hubgen/hubgen/runtime/transport.(*Server).beat"))
}
