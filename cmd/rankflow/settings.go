package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// setting is one configurable value of a long-running command, settable (in
// increasing precedence) by default, config file, environment and flag.
type setting struct {
	name string // the flag and the config-file key
	env  string // the environment variable
	doc  string
}

// settings binds flags to a flag set and applies a config file and the
// environment beneath the flags the user set.
type settings struct {
	fs   *flag.FlagSet
	list []setting
}

func newSettings(fs *flag.FlagSet) *settings { return &settings{fs: fs} }

func envName(name string) string {
	return "RANKFLOW_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func (s *settings) add(name, doc string) {
	s.list = append(s.list, setting{name: name, env: envName(name), doc: doc})
	f := s.fs.Lookup(name)
	f.Usage = fmt.Sprintf("%s (env %s)", doc, envName(name))
}

func (s *settings) String(p *string, name, def, doc string) {
	s.fs.StringVar(p, name, def, doc)
	s.add(name, doc)
}

func (s *settings) Int(p *int, name string, def int, doc string) {
	s.fs.IntVar(p, name, def, doc)
	s.add(name, doc)
}

func (s *settings) Bool(p *bool, name string, def bool, doc string) {
	s.fs.BoolVar(p, name, def, doc)
	s.add(name, doc)
}

func (s *settings) Float(p *float64, name string, def float64, doc string) {
	s.fs.Float64Var(p, name, def, doc)
	s.add(name, doc)
}

func (s *settings) Duration(p *durationValue, name string, def string, doc string) {
	if err := p.Set(def); err != nil {
		panic(err)
	}
	s.fs.Var(p, name, doc)
	s.add(name, doc)
}

// resolve applies the config file (a YAML map of setting names), then the
// environment, then re-applies the flags given on the command line, so
// flags > environment > file > defaults.
func (s *settings) resolve(file string) error {
	explicit := map[string]string{}
	s.fs.Visit(func(f *flag.Flag) { explicit[f.Name] = f.Value.String() })
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("config file %s: %w", file, err)
		}
		names := make([]string, 0, len(s.list))
		for _, st := range s.list {
			names = append(names, st.name)
		}
		for key, v := range m {
			if !slices.Contains(names, key) {
				return fmt.Errorf("config file %s: unknown setting %q (known: %s)", file, key, strings.Join(names, ", "))
			}
			if err := s.fs.Set(key, fmt.Sprint(v)); err != nil {
				return fmt.Errorf("config file %s: %s: %w", file, key, err)
			}
		}
	}
	for _, st := range s.list {
		if v, ok := os.LookupEnv(st.env); ok {
			if err := s.fs.Set(st.name, v); err != nil {
				return fmt.Errorf("environment %s: %w", st.env, err)
			}
		}
	}
	for name, v := range explicit {
		if err := s.fs.Set(name, v); err != nil {
			return err
		}
	}
	return nil
}
