// Package version says which hubgen is running, from the build information
// the Go toolchain records in every binary (runtime/debug.ReadBuildInfo).
package version

import (
	"runtime/debug"
	"strings"
)

// Module is hubgen's module path.
const Module = "github.com/hubgen/hubgen"

// Release returns the module version of the running hubgen, such as
// "v0.3.0", or "" when it is a development build (built inside hubgen's own
// module, or from a module that replaces hubgen with a directory): then the
// code may differ from any version, and nothing should claim one.
func Release() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return release(info)
}

// release finds hubgen in info: the main module when hubgen was built as
// itself (go install, go run …@version, go tool in hubgen's module), or a
// dependency when a module that requires hubgen runs it.
func release(info *debug.BuildInfo) string {
	m := &info.Main
	if m.Path != Module {
		m = nil
		for _, d := range info.Deps {
			if d.Path == Module {
				m = d
				break
			}
		}
	}
	if m == nil || m.Replace != nil && m.Replace.Version == "" {
		return "" // absent, or replaced by a directory
	}
	if m.Replace != nil {
		m = m.Replace
	}
	if m.Version == "" || m.Version == "(devel)" {
		return ""
	}
	return m.Version
}

// String describes the running hubgen for -version: its release, or for a
// development build "(devel)" with the commit and whether the tree was
// modified, when the toolchain recorded them; and the Go version.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "hubgen (unknown version)"
	}
	return describe(info)
}

func describe(info *debug.BuildInfo) string {
	if r := release(info); r != "" {
		return "hubgen " + r + " " + info.GoVersion
	}
	details := []string{"devel"}
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			details = append(details, s.Value[:min(12, len(s.Value))])
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified {
		details = append(details, "modified")
	}
	return "hubgen (" + strings.Join(details, ", ") + ") " + info.GoVersion
}
