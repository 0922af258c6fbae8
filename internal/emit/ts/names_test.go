package ts

import "testing"

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"ShowTime":   "showTime",
		"Now":        "now",
		"A":          "a",
		"ID":         "id",
		"IDs":        "ids",
		"URLs":       "urls",
		"HTTPServer": "httpServer",
		"GetHTTP":    "getHTTP",
		"X2Y":        "x2Y",
		"ÉtéMode":    "étéMode",
		"already":    "already",
		"":           "",
	} {
		if got := Camel(in); got != want {
			t.Errorf("Camel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFresh(t *testing.T) {
	taken := map[string]bool{"connection": true, "connection2": true, "arg1": true}
	for in, want := range map[string]string{
		"now":        "now",
		"new":        "new2",
		"this":       "this2",
		"connection": "connection3",
		"arg1":       "arg1_2",
	} {
		if got := fresh(in, taken); got != want {
			t.Errorf("fresh(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProp(t *testing.T) {
	for in, want := range map[string]string{
		"name":       "name",
		"_x$":        "_x$",
		"kebab-case": `"kebab-case"`,
		"-":          `"-"`,
		"1st":        `"1st"`,
		"a b":        `"a b"`,
		"été":        `"été"`,
	} {
		if got := Prop(in); got != want {
			t.Errorf("Prop(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDoc(t *testing.T) {
	for _, tc := range []struct {
		text   string
		indent int
		want   string
	}{
		{"", 0, ""},
		{"  \n", 1, ""},
		{"Now returns the time.\n", 0, "/** Now returns the time. */\n"},
		{"Now returns the time.\n", 1, "  /** Now returns the time. */\n"},
		{"First.\n\nSecond, with */ in it.\n\tcode\n", 1,
			"  /**\n   * First.\n   *\n   * Second, with *\\/ in it.\n   *   code\n   */\n"},
	} {
		if got := Doc(tc.text, tc.indent); got != tc.want {
			t.Errorf("Doc(%q, %d) = %q, want %q", tc.text, tc.indent, got, tc.want)
		}
	}
}

func TestUpperFirst(t *testing.T) {
	for in, want := range map[string]string{"geo": "Geo", "v2": "V2", "example.com": "Examplecom", "my-pkg": "Mypkg", "-": ""} {
		if got := upperFirst(in); got != want {
			t.Errorf("upperFirst(%q) = %q, want %q", in, got, want)
		}
	}
}
