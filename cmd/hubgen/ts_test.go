package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/testmod"
)

// TestTypeScript writes the TypeScript client with -ts: beside the Go file,
// only when it changes, also with -o -, and never over a file hubgen did not
// write.
func TestTypeScript(t *testing.T) {
	dir := module(t, false)
	pkg := filepath.Join(dir, "clock")
	ts := filepath.Join(dir, "web", "gen", "clockhub.ts")
	if _, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock", "-ts", "../web/gen"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	first, err := os.ReadFile(ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		model.Header + "\n// Source: example.com/app/clock (-server ClockHub -client Clock)\n",
		"export function createClockHubProxy(connection: HubConnection): ClockHub {",
		"export function registerClock(connection: HubConnection, receiver: Clock): { dispose(): void } {",
	} {
		if !bytes.Contains(first, []byte(want)) {
			t.Errorf("no %q in\n%s", want, first)
		}
	}
	if _, err := os.Stat(filepath.Join(pkg, "clockhub_hubgen.go")); err != nil {
		t.Errorf("no Go file beside: %v", err)
	}

	// Unchanged: not rewritten.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(ts, old, old); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock", "-ts", "../web/gen"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Stat(ts); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("unchanged file rewritten: %v %v", fi.ModTime(), err)
	}

	// With -o -, the Go file goes to standard output and the TypeScript to
	// its directory.
	os.Remove(ts)
	stdout, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-o", "-", "-ts", "../web/gen")
	if code != 0 || !strings.HasPrefix(stdout, model.Header) {
		t.Fatalf("exit %d: %s\n%s", code, errs, stdout)
	}
	if b, err := os.ReadFile(ts); err != nil || bytes.Contains(b, []byte("registerClock")) {
		t.Errorf("server-only TypeScript: %v\n%s", err, b)
	}

	// A file of the user's is left alone, and nothing is written.
	mine := "export const mine = 1;\n"
	testmod.Write(t, ts, mine)
	goFile := filepath.Join(pkg, "clockhub_hubgen.go")
	os.Remove(goFile)
	_, errs, code = hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock", "-ts", "../web/gen")
	if code != 1 || !strings.Contains(errs, "hubgen did not write it") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(ts); string(b) != mine {
		t.Errorf("overwrote the user's file:\n%s", b)
	}
	if _, err := os.Stat(goFile); err == nil {
		t.Error("wrote the Go file although the TypeScript could not be written")
	}
}

// TestTypeScriptShared runs the two hubgen lines of a package whose hubs
// write into one -ts folder, each alone as go generate runs them: the types
// go to clock.types.ts, which both lines write alike, and after both, -check
// finds every file up to date.
func TestTypeScriptShared(t *testing.T) {
	dir := module(t, false)
	pkg := filepath.Join(dir, "clock")
	testmod.Write(t, filepath.Join(pkg, "gen.go"), `package clock

//go:generate go tool hubgen -server ClockHub -client Clock -ts ../web
//go:generate go tool hubgen -server AlarmHub -ts ../web

import (
	"context"
	"time"
)

// Alarm rings at a time.
type Alarm struct {
	At time.Time `+"`json:\"at\"`"+`
}

// AlarmHub sets alarms.
type AlarmHub interface {
	Set(ctx context.Context, a Alarm) error
	List(ctx context.Context) ([]Alarm, error)
}
`)
	// The types file's content depends on every line, whichever runs.
	var types []byte
	for _, args := range [][]string{
		{"-server", "ClockHub", "-client", "Clock", "-ts", "../web"},
		{"-server", "AlarmHub", "-ts", "../web"},
	} {
		if _, errs, code := hubgen(t, pkg, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		b, err := os.ReadFile(filepath.Join(dir, "web", "clock.types.ts"))
		if err != nil {
			t.Fatal(err)
		}
		if types != nil && !bytes.Equal(b, types) {
			t.Errorf("%v rewrote clock.types.ts:\n%s\nwas\n%s", args, b, types)
		}
		types = b
	}
	for _, want := range []string{"export interface Alarm {", "export interface AlarmInput {"} {
		if !bytes.Contains(types, []byte(want)) {
			t.Errorf("no %q in clock.types.ts:\n%s", want, types)
		}
	}
	alarms, err := os.ReadFile(filepath.Join(dir, "web", "alarmhub.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `import type { Alarm, AlarmInput } from "./clock.types.js";`; !bytes.Contains(alarms, []byte(want)) {
		t.Errorf("no %q in alarmhub.ts:\n%s", want, alarms)
	}
	if _, errs, code := hubgen(t, pkg, "-check", "-server", "ClockHub", "-client", "Clock", "-ts", "../web"); code != 0 {
		t.Errorf("-check: exit %d: %s", code, errs)
	}
}

// TestTypeScriptSharedProtocols refuses two lines that write types for
// different protocols into one folder, whose shared types would differ.
func TestTypeScriptSharedProtocols(t *testing.T) {
	dir := module(t, false)
	pkg := filepath.Join(dir, "clock")
	testmod.Write(t, filepath.Join(pkg, "gen.go"), "package clock\n\n//go:generate go tool hubgen -server ClockHub -ts ../web\n//go:generate go tool hubgen -client Clock -ts ../web -ts-protocol messagepack\n")
	_, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-ts", "../web")
	if code != 1 || !strings.Contains(errs, "gen.go:4 writes TypeScript for -ts-protocol messagepack into the same folder") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// TestTypeScriptMessagePack writes the types of the MessagePack protocol
// with -ts-protocol messagepack: a time.Time is a Date.
func TestTypeScriptMessagePack(t *testing.T) {
	dir := module(t, false)
	pkg := filepath.Join(dir, "clock")
	if _, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock", "-ts", "../web", "-ts-protocol", "messagepack"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "web", "clockhub.ts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// Protocol: MessagePack (-ts-protocol messagepack).", "now(): Promise<Date>;", "showTime(now: Date): void | Promise<void>;"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("no %q in\n%s", want, b)
		}
	}
}
