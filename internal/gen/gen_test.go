package gen

import (
	"errors"
	"testing"
)

func TestRunNeedsAnInterface(t *testing.T) {
	if _, err := Run(Config{}, false); !errors.Is(err, ErrNoInterface) {
		t.Errorf("got %v", err)
	}
}

func TestDefaultOutput(t *testing.T) {
	for _, tc := range [][3]string{{"ClockHub", "Clock", "clockhub_hubgen.go"}, {"", "Clock", "clock_hubgen.go"}} {
		if got := DefaultOutput(tc[0], tc[1]); got != tc[2] {
			t.Errorf("DefaultOutput(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
