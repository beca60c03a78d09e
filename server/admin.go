package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
)

// adminRoutes registers the admin API, pprof and the console. Every one of
// them but the console's static page needs the admin token.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/pipelines", s.admin(s.listPipelines))
	mux.Handle("GET /admin/pipelines/{name}", s.admin(s.showPipeline))
	mux.Handle("POST /admin/reload", s.admin(s.reload))
	mux.Handle("GET /admin/status", s.admin(s.status))
	mux.Handle("GET /admin/flags", s.admin(s.flags))
	mux.Handle("/debug/pprof/", s.admin(pprof.Index))
	mux.Handle("/debug/pprof/cmdline", s.admin(pprof.Cmdline))
	mux.Handle("/debug/pprof/profile", s.admin(pprof.Profile))
	mux.Handle("/debug/pprof/symbol", s.admin(pprof.Symbol))
	mux.Handle("/debug/pprof/trace", s.admin(pprof.Trace))
	mux.HandleFunc("GET /{$}", s.console)
}

// admin wraps h so it runs only with the admin token, compared in constant
// time, from "Authorization: Bearer TOKEN".
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.o.AdminToken == "" {
			writeJSONError(w, http.StatusForbidden, "admin is disabled: start the server with an admin token (--admin-token or RANKFLOW_ADMIN_TOKEN)")
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.o.AdminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rankflow admin"`)
			writeJSONError(w, http.StatusUnauthorized, "admin token missing or wrong: send Authorization: Bearer TOKEN")
			return
		}
		h(w, r)
	})
}

type pipelineInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Limit       int    `json:"limit,omitempty"`
	Budget      string `json:"budget,omitempty"`
	File        string `json:"file"`
}

func (s *Server) listPipelines(w http.ResponseWriter, _ *http.Request) {
	set, done := s.o.Pipelines.Acquire()
	defer done()
	var out []pipelineInfo
	for _, name := range set.Names() {
		p, _ := set.Lookup(name)
		info := pipelineInfo{Name: name, Description: p.Def.Description, Limit: p.Def.Limit, File: p.Def.Pos.File}
		if p.Def.Budget > 0 {
			info.Budget = p.Def.Budget.String()
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pipelines": out})
}

func (s *Server) showPipeline(w http.ResponseWriter, r *http.Request) {
	set, done := s.o.Pipelines.Acquire()
	defer done()
	name := r.PathValue("name")
	p, ok := set.Lookup(name)
	if !ok {
		writeJSONError(w, http.StatusNotFound, "unknown pipeline "+name+" (known: "+strings.Join(set.Names(), ", ")+")")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":    name,
		"plan":    p.Plan.String(),
		"dot":     p.Plan.DOT(),
		"mermaid": p.Plan.Mermaid(),
	})
}

func (s *Server) reload(w http.ResponseWriter, _ *http.Request) {
	err := s.o.Reload()
	st := s.o.Pipelines.Status()
	body := map[string]any{"generation": st.Generation, "at": st.At.Format(time.RFC3339)}
	if err != nil {
		body["error"] = err.Error()
		writeJSON(w, http.StatusUnprocessableEntity, body)
		return
	}
	set, done := s.o.Pipelines.Acquire()
	body["pipelines"] = set.Names()
	done()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.o.Pipelines.Status()
	body := map[string]any{
		"generation":   st.Generation,
		"last_reload":  st.At.Format(time.RFC3339),
		"draining":     s.draining.Load(),
		"quality":      s.overload.Quality(),
		"inflight":     s.overload.inflight.Load(),
		"reload_error": nil,
	}
	if st.Err != nil {
		body["reload_error"] = st.Err.Error()
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) flags(w http.ResponseWriter, _ *http.Request) {
	if s.o.Flags == nil {
		writeJSON(w, http.StatusOK, map[string]any{"flags": nil, "note": "no flags source configured"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"flags": s.o.Flags()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
