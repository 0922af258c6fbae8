package model

import "testing"

func TestTypeString(t *testing.T) {
	str := &Type{Kind: Basic, Name: "string"}
	typ := &Type{Kind: Map, Key: str, Elem: &Type{Kind: Slice, Elem: &Type{Kind: Pointer, Elem: &Type{
		Kind: Named, Path: "example.com/p", Pkg: "p", Name: "Page",
		Args: []*Type{{Kind: Array, Len: 2, Elem: str}, {Kind: Any}},
	}}}}
	if got, want := typ.String(), "map[string][]*p.Page[[2]string, any]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	st := &Type{Kind: Struct, Fields: []Field{{Name: "X", Type: str, Tag: `json:"x"`}, {Type: &Type{Kind: Named, Name: "E"}}}}
	if got, want := st.String(), `struct{X string "json:\"x\""; E}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	n := 0
	typ.Walk(func(*Type) { n++ })
	if n != 8 {
		t.Errorf("Walk visited %d types, want 8", n)
	}
}

func TestNamesFor(t *testing.T) {
	n := NamesFor("ClockHub", "Clock")
	want := Names{"ClockHubServer", "NewClockHubServer", "ClockHubMethods", "ClockHubClient", "NewClockHubClient",
		"ClockClients", "NewClockClients", "ClockTarget", "ClockClient", "RegisterClock", "ClockHandlers"}
	if n != want {
		t.Errorf("got %+v", n)
	}
	if got := len(NamesFor("", "Clock").List()); got != 6 {
		t.Errorf("client-only names: %d", got)
	}
}

func TestSource(t *testing.T) {
	iface := func(name string) *Interface { return &Interface{Name: name} }
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Package: Package{Path: "example.com/c"}, Server: iface("Hub"), Client: iface("Item")}, "example.com/c (-server Hub -client Item)"},
		{Spec{Package: Package{Path: "example.com/c"}, Client: iface("Item")}, "example.com/c (-client Item)"},
		{Spec{Package: Package{Path: "example.com/c"}, Server: iface("Hub"), Generator: "v0.3.0"}, "example.com/c (-server Hub), hubgen v0.3.0"},
	}
	for _, tt := range tests {
		if got := tt.spec.Source(); got != tt.want {
			t.Errorf("Source() = %q, want %q", got, tt.want)
		}
	}
}
