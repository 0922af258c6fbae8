package hub

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestBindErrorLogs checks that a binding failure says ASP.NET Core's text to
// the client and, in logs, which argument failed and why.
func TestBindErrorLogs(t *testing.T) {
	cause := errors.New("protocol: cannot decode a JSON Number into a Go string")
	var err error = &bindError{index: 1, err: cause}
	if err.Error() != textBindArguments || !errors.Is(err, cause) {
		t.Errorf("Error() = %q", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("invocation failed", "error", err)
	if !strings.Contains(buf.String(), `error="argument 1: protocol: cannot decode a JSON Number into a Go string"`) {
		t.Errorf("logged %s", buf.String())
	}
}
