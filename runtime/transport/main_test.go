package transport_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The hub server's heartbeat (ExampleDial, TestDialHub) ends on its own up
	// to a second after its last connection; it is the server's, not the
	// client's.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/hubgen/hubgen/runtime/hub.(*Server).beat"))
}
