package mpack

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Strings, binaries, arrays and booleans come out as
// vmihailenco/msgpack writes them, at every size boundary.
func TestWritersMatchMsgpack(t *testing.T) {
	check := func(name string, got []byte, v any) {
		t.Helper()
		want, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: wrote %x, msgpack writes %x", name, got, want)
		}
	}
	for _, n := range []int{0, 15, 16, 31, 32, math.MaxUint8, math.MaxUint8 + 1, math.MaxUint16, math.MaxUint16 + 1} {
		arr := AppendArrayLen(nil, n)
		for range n {
			arr = AppendNil(arr)
		}
		check("array", arr, make([]any, n))
		s := strings.Repeat("x", n)
		check("string", AppendString(nil, s), s)
		check("binary", AppendBinary(nil, []byte(s)), []byte(s))
	}
	check("true", AppendBool(nil, true), true)
	check("false", AppendBool(nil, false), false)
	check("nil", AppendNil(nil), nil)
}

// Signed integers take their smallest form, and read back as written.
func TestInts(t *testing.T) {
	for _, v := range []int64{0, 127, 128, -1, -32, -33, -128, -129, math.MinInt16, math.MinInt16 - 1, math.MinInt32, math.MinInt32 - 1, math.MinInt64, math.MaxInt64} {
		b := AppendInt(nil, v)
		var got int64
		if err := msgpack.Unmarshal(b, &got); err != nil || got != v {
			t.Errorf("%d: wrote %x, read back %d (%v)", v, b, got, err)
		}
	}
	for v, want := range map[int64]string{-32: "e0", -33: "d0df", -129: "d1ff7f", math.MinInt32: "d280000000"} {
		if got := hex.EncodeToString(AppendInt(nil, v)); got != want {
			t.Errorf("%d: wrote %s, want %s", v, got, want)
		}
	}
}

// Unsigned integers take their smallest form (vmihailenco/msgpack writes all
// eight bytes), and read back as written.
func TestUints(t *testing.T) {
	for v, want := range map[uint64]string{0: "00", 127: "7f", 128: "cc80", 256: "cd0100", math.MaxUint16 + 1: "ce00010000", math.MaxUint32 + 1: "cf0000000100000000"} {
		b := AppendUint(nil, v)
		var got uint64
		if err := msgpack.Unmarshal(b, &got); err != nil || got != v || hex.EncodeToString(b) != want {
			t.Errorf("%d: wrote %x (want %s), read back %d (%v)", v, b, want, got, err)
		}
	}
}

func TestMapHeaders(t *testing.T) {
	for n, want := range map[int]string{0: "80", 15: "8f", 16: "de0010", math.MaxUint16 + 1: "df00010000"} {
		if got := hex.EncodeToString(AppendMapLen(nil, n)); got != want {
			t.Errorf("map of %d: %s, want %s", n, got, want)
		}
	}
}

func TestStringLen(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "a0"}, {31, "bf"}, {32, "d920"}, {255, "d9ff"}, {256, "da0100"}, {65535, "daffff"}, {65536, "db00010000"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(AppendStringLen(nil, tt.n)); got != tt.want {
			t.Errorf("AppendStringLen(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}
