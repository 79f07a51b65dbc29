package alertpresence

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/release-gate/release-gate/internal/testenv"
)

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}

// TestPrometheusTestdataRuleFiles: every rule file Prometheus' own rulefmt
// accepts among the test data Prometheus ships (model/rulefmt,
// cmd/promtool) loads here with the same rules, and every expression is
// read without error.
func TestPrometheusTestdataRuleFiles(t *testing.T) {
	root := testenv.ModuleDir(t, "github.com/prometheus/prometheus")
	checked := 0
	for _, dir := range []string{"model/rulefmt/testdata", "cmd/promtool/testdata"} {
		for _, file := range yamlFiles(t, filepath.Join(root, dir)) {
			groups, errs := rulefmt.ParseFile(file, false, model.UTF8Validation, promqlParser, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if len(errs) > 0 || groups == nil || len(groups.Groups) == 0 {
				continue // not a valid rule file
			}
			want := 0
			for _, g := range groups.Groups {
				want += len(g.Rules)
			}
			fs, err := loadFiles(context.Background(), filepath.Dir(file), []string{filepath.Base(file)})
			if err != nil {
				t.Errorf("%s/%s: %v", dir, filepath.Base(file), err)
				continue
			}
			for _, p := range fs.problems {
				t.Errorf("%s/%s: a rule Prometheus loads is reported: %s", dir, filepath.Base(file), p.Message)
			}
			if len(fs.rules) != want {
				t.Errorf("%s/%s: %d rules loaded, Prometheus reads %d", dir, filepath.Base(file), len(fs.rules), want)
			}
			an := analyze(fs.rules, newClassifier(builtinCategories()))
			for i, r := range fs.rules {
				if err := an.facts[i].exprErr; err != nil {
					t.Errorf("%s/%s: %s: %v", dir, filepath.Base(file), r.Name, err)
				}
			}
			checked++
		}
	}
	t.Logf("%d valid rule files in Prometheus' test data loaded and classified", checked)
	if checked < 5 {
		t.Errorf("only %d valid rule files found in Prometheus' test data: the test checks nothing", checked)
	}
}

// TestAlertmanagerTestdataConfigs: every configuration in Alertmanager's
// config/testdata loads through the gate's path exactly when
// Alertmanager's config.LoadFile loads it, and for the ones that load,
// routing alerts whose every label is known reaches the receivers that
// dispatch's Route.Match reaches.
func TestAlertmanagerTestdataConfigs(t *testing.T) {
	dir := filepath.Join(testenv.ModuleDir(t, "github.com/prometheus/alertmanager"), "config", "testdata")
	good, bad, routed := 0, 0, 0
	for _, file := range yamlFiles(t, dir) {
		name := filepath.Base(file)
		cfg, amErr := amconfig.LoadFile(file)
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rt, ourErr := parseRouting(string(text))
		if (amErr == nil) != (ourErr == nil) {
			t.Errorf("%s: Alertmanager: %v; the gate: %v", name, amErr, ourErr)
			continue
		}
		if amErr != nil {
			bad++
			continue
		}
		good++
		root := dispatch.NewRoute(cfg.Route, nil)
		for _, ls := range labelSetsOf(root) {
			var want []string
			for _, r := range root.Match(ls) {
				want = append(want, r.RouteOpts.Receiver)
			}
			known := map[string]string{}
			for _, n := range labelNamesOf(root) {
				known[n] = string(ls[model.LabelName(n)])
			}
			outs, complete := rt.outcomes(known, &regexCache{})
			if !complete || len(outs) != 1 || len(outs[0].assumed) > 0 {
				t.Errorf("%s: %v: every label is known, yet %d ways", name, ls, len(outs))
				continue
			}
			if strings.Join(outs[0].receivers, ",") != strings.Join(want, ",") {
				t.Errorf("%s: %v: the gate routes to %v, Alertmanager to %v", name, ls, outs[0].receivers, want)
			}
			routed++
		}
	}
	t.Logf("%d configurations load, %d are refused, %d label sets routed alike", good, bad, routed)
	if good < 5 || bad < 5 || routed < 20 {
		t.Errorf("%d valid and %d invalid configurations, %d label sets routed: the test checks too little", good, bad, routed)
	}
}

// labelNamesOf lists the label names the route tree's matchers read.
func labelNamesOf(r *dispatch.Route) []string {
	seen := map[string]bool{}
	var walk func(*dispatch.Route)
	walk = func(r *dispatch.Route) {
		for _, m := range r.Matchers {
			seen[m.Name] = true
		}
		for _, c := range r.Routes {
			walk(c)
		}
	}
	walk(r)
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// labelSetsOf builds label sets that reach each route: the = matchers on
// the path to it, and the empty set.
func labelSetsOf(root *dispatch.Route) []model.LabelSet {
	sets := []model.LabelSet{{}}
	var walk func(r *dispatch.Route, path model.LabelSet)
	walk = func(r *dispatch.Route, path model.LabelSet) {
		ls := path.Clone()
		for _, m := range r.Matchers {
			if m.Type == labels.MatchEqual {
				ls[model.LabelName(m.Name)] = model.LabelValue(m.Value)
			}
		}
		if len(ls) > 0 {
			sets = append(sets, ls)
		}
		for _, c := range r.Routes {
			walk(c, ls)
		}
	}
	walk(root, model.LabelSet{})
	return sets
}
