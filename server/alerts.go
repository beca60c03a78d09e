package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/rankflow/rankflow/pipeline"
	"go.yaml.in/yaml/v3"
)

// AlertOptions set the thresholds of AlertRules. Zero values take the
// defaults in parentheses.
type AlertOptions struct {
	// Latency is the p99 above which a pipeline without a budget alerts
	// (100ms); a pipeline with a budget alerts above its budget.
	Latency time.Duration
	// ErrorRatio is the share of requests failing for the platform's
	// reasons (server, dependency, overload; not client errors) above which
	// to alert (0.01).
	ErrorRatio float64
	// EmptyRatio is the share of successful responses with no candidates
	// above which to alert (0.05).
	EmptyRatio float64
	// For is how long a condition must hold before it fires (5m).
	For time.Duration
}

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// AlertRules returns Prometheus alerting rules for every pipeline in set:
// p99 latency, the share of requests that fail for reasons the platform owes
// (client errors do not count), and the share of empty responses.
func AlertRules(set *pipeline.Set, o AlertOptions) ([]byte, error) {
	if o.Latency <= 0 {
		o.Latency = 100 * time.Millisecond
	}
	if o.ErrorRatio <= 0 {
		o.ErrorRatio = 0.01
	}
	if o.EmptyRatio <= 0 {
		o.EmptyRatio = 0.05
	}
	if o.For <= 0 {
		o.For = 5 * time.Minute
	}
	var f ruleFile
	for _, name := range set.Names() {
		p, _ := set.Lookup(name)
		latency := o.Latency
		if p.Def.Budget > 0 {
			latency = p.Def.Budget
		}
		sel := fmt.Sprintf(`pipeline=%q`, name)
		title := camel(name)
		labels := map[string]string{"pipeline": name, "severity": "page"}
		f.Groups = append(f.Groups, ruleGroup{
			Name: "rankflow-" + name,
			Rules: []rule{
				{
					Alert: "Rankflow" + title + "LatencyHigh",
					Expr: fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(rankflow_request_duration_seconds_bucket{%s}[5m]))) > %g`,
						sel, latency.Seconds()),
					For:    promDuration(o.For),
					Labels: labels,
					Annotations: map[string]string{
						"summary": fmt.Sprintf("p99 latency of pipeline %s is above %v", name, latency),
					},
				},
				{
					Alert: "Rankflow" + title + "ErrorsHigh",
					Expr: fmt.Sprintf(`sum(rate(rankflow_requests_total{%s,class=~"server|dependency|overload"}[5m])) / sum(rate(rankflow_requests_total{%s}[5m])) > %g`,
						sel, sel, o.ErrorRatio),
					For:    promDuration(o.For),
					Labels: labels,
					Annotations: map[string]string{
						"summary": fmt.Sprintf("more than %g%% of %s requests fail for server, dependency or overload reasons", o.ErrorRatio*100, name),
					},
				},
				{
					Alert: "Rankflow" + title + "EmptyResponses",
					Expr: fmt.Sprintf(`sum(rate(rankflow_empty_responses_total{%s}[5m])) / sum(rate(rankflow_requests_total{%s,class="ok"}[5m])) > %g`,
						sel, sel, o.EmptyRatio),
					For:    promDuration(o.For),
					Labels: map[string]string{"pipeline": name, "severity": "ticket"},
					Annotations: map[string]string{
						"summary": fmt.Sprintf("more than %g%% of successful %s responses are empty", o.EmptyRatio*100, name),
					},
				},
			},
		})
	}
	return yaml.Marshal(f)
}

// camel turns "home_v2" into "HomeV2" for alert names.
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' || r == '-' || r == '.' {
			up = true
			continue
		}
		if up && 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

// promDuration formats d as Prometheus does: 5m, 90s, 1h30m.
func promDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}
