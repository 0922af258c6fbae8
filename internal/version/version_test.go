package version

import (
	"runtime/debug"
	"testing"
)

func TestDescribe(t *testing.T) {
	dep := func(version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: Module, Version: version, Replace: replace}
	}
	tests := []struct {
		name          string
		info          debug.BuildInfo
		release, text string
	}{
		{
			name:    "installed at a version",
			info:    debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: Module, Version: "v0.3.0"}},
			release: "v0.3.0", text: "hubgen v0.3.0 go1.25.0",
		},
		{
			name:    "a dependency of the user's module",
			info:    debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: "example.com/app", Version: "(devel)"}, Deps: []*debug.Module{{Path: "golang.org/x/tools", Version: "v0.30.0"}, dep("v0.4.1", nil)}},
			release: "v0.4.1", text: "hubgen v0.4.1 go1.25.0",
		},
		{
			name:    "replaced by another version",
			info:    debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{dep("v0.4.1", &debug.Module{Path: "example.com/fork", Version: "v0.4.2"})}},
			release: "v0.4.2", text: "hubgen v0.4.2 go1.25.0",
		},
		{
			name: "replaced by a directory",
			info: debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{dep("v0.4.1", &debug.Module{Path: "../hubgen"})}},
			text: "hubgen (devel) go1.25.0",
		},
		{
			name: "built in its own module, from a modified tree",
			info: debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: Module, Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "47b9e42c0ffee0123456789abcdef0123456789a"}, {Key: "vcs.modified", Value: "true"}}},
			text: "hubgen (devel, 47b9e42c0ffe, modified) go1.25.0",
		},
		{
			name: "built in its own module, without VCS information",
			info: debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: Module, Version: "(devel)"}},
			text: "hubgen (devel) go1.25.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := release(&tt.info); got != tt.release {
				t.Errorf("release = %q, want %q", got, tt.release)
			}
			if got := describe(&tt.info); got != tt.text {
				t.Errorf("describe = %q, want %q", got, tt.text)
			}
		})
	}
}
