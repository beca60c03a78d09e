package pipeline_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rankflow/rankflow/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden and expected-error files in testdata")

// compareGolden compares got with the file at path, or rewrites it with
// -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./pipeline -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGoldenPlans(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.yaml")
	if len(files) == 0 {
		t.Fatal("no golden configs in testdata/golden")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			set, err := pipeline.Parse(map[string][]byte{filepath.Base(file): data}, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer set.Close()
			var b strings.Builder
			for _, name := range set.Names() {
				p, _ := set.Lookup(name)
				b.WriteString(p.Plan.String())
			}
			compareGolden(t, strings.TrimSuffix(file, ".yaml")+".golden", b.String())
		})
	}
}

// TestBrokenConfigs checks that each config in testdata/broken fails with
// exactly the problems in its .err file.
func TestBrokenConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/broken/*.yaml")
	if len(files) < 20 {
		t.Fatalf("%d broken configs in testdata/broken, want at least 20", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			set, err := pipeline.Parse(map[string][]byte{filepath.Base(file): data}, pipeline.Options{})
			if err == nil {
				set.Close()
				t.Fatal("config was accepted")
			}
			compareGolden(t, strings.TrimSuffix(file, ".yaml")+".err", err.Error()+"\n")
		})
	}
}
