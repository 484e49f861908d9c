package otelclientele_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreLinksNoOpenTelemetry checks that no package of the module but
// this one and the example server (which opts in) depends on
// OpenTelemetry: a host that does not import otelclientele links none of
// it.
func TestCoreLinksNoOpenTelemetry(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "github.com/clientele/clientele/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	optIn := map[string]bool{
		"github.com/clientele/clientele/otelclientele":   true,
		"github.com/clientele/clientele/examples/server": true,
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		pkg, deps, _ := strings.Cut(strings.TrimSpace(line), " ")
		if optIn[pkg] {
			continue
		}
		checked++
		for dep := range strings.FieldsSeq(deps) {
			if strings.HasPrefix(dep, "go.opentelemetry.io/") || dep == "github.com/clientele/clientele/otelclientele" {
				t.Errorf("%s depends on %s", pkg, dep)
				break
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages listed", checked)
	}
}
