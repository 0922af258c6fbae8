package redishub_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(envServerRedis) != "" {
		os.Exit(runServer())
	}
	goleak.VerifyTestMain(m)
}
