package hub

import (
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// The limits default to ASP.NET Core's (reliability.md §1.5, protocol.md §3).
func TestDefaultsAreASPNETCores(t *testing.T) {
	o := Options{}.withDefaults()
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"KeepAliveInterval", o.KeepAliveInterval, 15 * time.Second},
		{"ClientTimeout", o.ClientTimeout, 30 * time.Second},
		{"HandshakeTimeout", o.HandshakeTimeout, 15 * time.Second},
		{"MaxMessageSize", o.MaxMessageSize, 32768},
		{"MaxParallelInvocations", o.MaxParallelInvocations, 1},
		{"StreamBuffer", o.StreamBuffer, 10},
		{"SendTimeout", o.SendTimeout, 10 * time.Second},
		{"PollTimeout", o.PollTimeout, 90 * time.Second},
		{"DetailedErrors", o.DetailedErrors, false},
		{"Transports", o.Transports, AllTransports},
		{"AllowedOrigins", len(o.AllowedOrigins), 0},
		{"protocols", len(o.Protocols), 2},
		{"JSON depth", o.Protocols[0].(*protocol.JSONProtocol).MaxDepth, 0}, // 0: protocol.DefaultMaxDepth
		{"depth", protocol.DefaultMaxDepth, 64},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
