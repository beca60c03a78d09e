package rank

// Options say how to rank a request.
type Options struct {
	// Method names the pipeline to run.
	Method string
	// Limit caps the number of candidates returned; 0 means the pipeline's
	// default.
	Limit int
	// Debug asks for the explain trace.
	Debug bool
	// Quality is the fraction of the usual candidates to fetch and score,
	// in (0, 1]; 0 means 1. A server lowers it under load, and sources scale
	// how many candidates they take by it (Request.Scaled).
	Quality float64
	// Features names the candidate features a response carries (see
	// Request.Response).
	Features []string
}

// Request is what flows through a pipeline: the context entity ranked for,
// the candidates and the options. See the package doc for who may modify it.
type Request struct {
	Context    *Entity
	Candidates []*Entity
	Options    Options
	// Trace records what each stage did when Options.Debug is set; nil
	// otherwise. Copies share it.
	Trace *Trace

	arena *arena
	// rejected holds the reasons stages gave for removing candidates
	// (Reject), when traced. A copy starts with none, so the branches of a
	// Parallel each explain their own removals.
	rejected map[string]string
}

// NewRequest returns a request for the context entity ctx (a new empty one if
// nil) with the given options, tracing when opts.Debug is set.
func NewRequest(ctx *Entity, opts Options) *Request {
	if ctx == nil {
		ctx = &Entity{}
	}
	r := &Request{Context: ctx, Options: opts}
	if opts.Debug {
		r.Trace = NewTrace()
	}
	return r
}

func (r *Request) mem() *arena {
	if r.arena == nil {
		r.arena = new(arena)
	}
	return r.arena
}

// NewCandidate returns a new entity with the given id from the request's
// arena. It is not added to Candidates.
func (r *Request) NewCandidate(id string) *Entity {
	e := r.mem().entity()
	e.ID = id
	return e
}

// Append adds a new candidate with the given id and returns it.
func (r *Request) Append(id string) *Entity {
	e := r.NewCandidate(id)
	if len(r.Candidates) == cap(r.Candidates) {
		r.Grow(1)
	}
	r.Candidates = append(r.Candidates, e)
	return e
}

// Grow makes room for n more candidates without reallocation, taking the
// slice from the request's pool.
func (r *Request) Grow(n int) {
	if cap(r.Candidates)-len(r.Candidates) >= n {
		return
	}
	c := r.MakeCandidates(max(len(r.Candidates)+n, 2*cap(r.Candidates)))
	r.Candidates = append(c, r.Candidates...)
}

// MakeCandidates returns an empty candidate slice with capacity for at least
// n, from the request's pool. It lives until the request is released.
func (r *Request) MakeCandidates(n int) []*Entity { return r.mem().list(n) }

// Copy returns a copy of r that a concurrent stage may modify freely: new
// entities that share features copy-on-write, the same options, and the same
// Trace. Copy must not race with writes to r.
func (r *Request) Copy() *Request {
	c := &Request{Options: r.Options, Trace: r.Trace}
	if r.Context != nil {
		c.Context = c.mem().entity()
		r.Context.copyTo(c.Context)
	}
	if len(r.Candidates) > 0 {
		c.Candidates = c.MakeCandidates(len(r.Candidates))
		for _, e := range r.Candidates {
			ce := c.mem().entity()
			e.copyTo(ce)
			c.Candidates = append(c.Candidates, ce)
		}
	}
	return c
}

// Adopt makes r keep o's entities and slices alive until r is released,
// and takes the reasons o's stages gave for removing candidates (r's own
// win), so the explain trace of the stage that merged them still says why.
// Mergers call it for each branch whose candidates they took; o must not be
// used afterwards.
func (r *Request) Adopt(o *Request) {
	if o == nil || o == r {
		return
	}
	for id, why := range o.rejected {
		if _, ok := r.rejected[id]; !ok {
			if r.rejected == nil {
				r.rejected = make(map[string]string, len(o.rejected))
			}
			r.rejected[id] = why
		}
	}
	if o.arena == nil {
		return
	}
	m := r.mem()
	m.adopted = append(m.adopted, o.arena)
	o.arena = nil
}

// Release returns the request's entities and candidate slices to a pool for
// reuse. Only the request's last owner calls it, once nothing refers to any
// of its entities; the request must not be used afterwards.
func (r *Request) Release() {
	if r.arena != nil {
		r.arena.release()
		r.arena = nil
	}
	r.Candidates = nil
	r.Context = nil
	r.rejected = nil
}

// Reject records why a stage removed candidate e, for the explain trace. It
// does nothing unless the request is traced, so filters call it freely. Like
// every change to a request, it is for the stage that owns the request, not
// for several goroutines at once.
func (r *Request) Reject(e *Entity, reason string) {
	if r.Trace == nil {
		return
	}
	if r.rejected == nil {
		r.rejected = make(map[string]string)
	}
	r.rejected[e.ID] = reason
}

// rejection returns the reason given for removing id from r, or "".
func (r *Request) rejection(id string) string {
	if r == nil {
		return ""
	}
	return r.rejected[id]
}

// Scaled returns n scaled by Options.Quality, at least 1 when n > 0. Sources
// call it on how many candidates they take, so a server under load fetches
// and scores fewer.
func (r *Request) Scaled(n int) int {
	q := r.Options.Quality
	if n <= 0 || q <= 0 || q >= 1 {
		return n
	}
	return max(1, int(float64(n)*q))
}

// Limit returns Options.Limit, or def when the request does not set one.
func (r *Request) Limit(def int) int {
	if r.Options.Limit > 0 {
		return r.Options.Limit
	}
	return def
}
