package dataset

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/rankflow/rankflow/rank"
	"github.com/rankflow/rankflow/store"
)

// Options size and seed a generated world. The zero value of every field
// means its default, so Options{} is the demo world at a fixed time.
type Options struct {
	// Seed makes the world; the same Options give the same Dataset.
	Seed uint64
	// Now is the time the world is seen at: posts were created up to MaxAge
	// before it. Zero means 2025-01-01T00:00:00Z, so a world is reproducible.
	Now time.Time
	// MaxAge is the age of the oldest post. Default 7 days.
	MaxAge time.Duration

	// Communities, Posts and Users are how many of each there are. Defaults
	// 100, 10000 and 1000.
	Communities, Posts, Users int
	// Subscriptions is the median number of communities a user subscribes
	// to. Default 8.
	Subscriptions int
	// Viewed is the median number of posts a user viewed recently. Default 30.
	Viewed int
	// EmbeddingDim is the length of the "embedding" features. Default 8; -1
	// leaves embeddings out.
	EmbeddingDim int

	// PopularLen, MediaLen, HotLen and CountryLen cap the popular list, each
	// media list, each community's hot and new lists, and each country's
	// popular list. Defaults 400, 350, 100 and 200.
	PopularLen, MediaLen, HotLen, CountryLen int
}

// defaultNow is the time a world is seen at when Options.Now is zero.
var defaultNow = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// withDefaults returns o with every zero field set to its default, or an
// error naming the first field that is negative.
func (o Options) withDefaults() (Options, error) {
	fields := []struct {
		name string
		v    *int
		def  int
	}{
		{"communities", &o.Communities, 100},
		{"posts", &o.Posts, 10000},
		{"users", &o.Users, 1000},
		{"subscriptions", &o.Subscriptions, 8},
		{"viewed", &o.Viewed, 30},
		{"embedding dim", &o.EmbeddingDim, 8},
		{"popular len", &o.PopularLen, 400},
		{"media len", &o.MediaLen, 350},
		{"hot len", &o.HotLen, 100},
		{"country len", &o.CountryLen, 200},
	}
	for _, f := range fields {
		if *f.v < 0 && !(f.v == &o.EmbeddingDim && *f.v == -1) {
			return o, fmt.Errorf("generate dataset: %s is %d, want >= 0", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.MaxAge < 0 {
		return o, fmt.Errorf("generate dataset: max age is %v, want >= 0", o.MaxAge)
	}
	if o.MaxAge == 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.Now.IsZero() {
		o.Now = defaultNow
	}
	return o, nil
}

// Demo returns the demo world, Generate(Options{Seed: 1}) seen at the current
// time (to the second), so its posts are fresh when served. Everything but
// created_at and the scores of the "new" lists is the same on every call.
func Demo() *Dataset {
	d, err := Generate(Options{Seed: 1, Now: time.Now().Truncate(time.Second)})
	if err != nil {
		panic(err) // the options are valid
	}
	return d
}

// countries and their share of users.
var countries = []struct {
	code   string
	weight float64
}{
	{"US", 45}, {"GB", 8}, {"CA", 7}, {"IN", 6}, {"DE", 6}, {"AU", 5},
	{"FR", 4}, {"BR", 4}, {"NL", 3}, {"SE", 3}, {"MX", 3}, {"PH", 3}, {"JP", 3},
}

// mediaTypes with their base share of posts, upvote multiplier and
// click-through multiplier.
var mediaTypes = []struct {
	name             string
	share, up, click float64
}{
	{MediaText, 0.30, 0.7, 0.8},
	{MediaImage, 0.30, 1.4, 1.3},
	{MediaVideo, 0.15, 1.3, 1.5},
	{MediaLink, 0.20, 0.8, 1.0},
	{MediaLivestream, 0.05, 0.9, 1.4},
}

// listedMedia are the media types with a media:{type} list.
var listedMedia = []string{MediaVideo, MediaImage, MediaLivestream}

// communityNames name the largest communities; the rest are made of words.
var communityNames = []string{
	"pics", "funny", "gaming", "worldnews", "videos", "todayilearned", "aww",
	"music", "movies", "science", "memes", "news", "showerthoughts", "askscience",
	"food", "earthporn", "space", "books", "sports", "art", "diy", "gadgets",
	"history", "television", "programming", "golang", "fitness", "travel",
	"photography", "nature",
}

var nameWords = []string{
	"cozy", "retro", "tiny", "urban", "wild", "pixel", "vintage", "daily",
	"cats", "plants", "cars", "maps", "birds", "coffee", "knits", "boats",
}

type community struct {
	id, name      string
	weight        float64 // Zipf share of users and activity
	subscribers   int64
	nsfw, private bool
	media         []float64 // cumulative media-type shares
	topic         []float64
	posts         []int     // indices into posts
	cumUp         []float64 // cumulative upvotes+1 of posts, for views
}

type user struct {
	id, country string
	nsfwOK      bool
	subs        []int // community indices
}

type post struct {
	id, author, media, country string
	community                  int
	age                        time.Duration
	upvotes, comments          int64
	nsfw, private              bool
	ratio, ctr, quality        float64
	hot                        float64
	embedding                  []float32
}

// Generate returns a world made from o. It is deterministic: the same
// Options give the same Dataset. The error reports a negative size.
func Generate(o Options) (*Dataset, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	g.makeCommunities()
	g.makeUsers()
	g.makePosts()
	g.makeViews()
	return g.dataset(), nil
}

type generator struct {
	o     Options
	rng   *rand.Rand
	comms []community
	cumC  []float64 // cumulative community weights
	users []user
	posts []post
	views [][]int // post indices per user, oldest first
}

func (g *generator) makeCommunities() {
	n := g.o.Communities
	g.comms = make([]community, n)
	weights := make([]float64, n)
	for i := range g.comms {
		c := &g.comms[i]
		c.id = "c" + strconv.Itoa(i)
		c.name = g.communityName(i)
		c.weight = 1 / math.Pow(float64(i+1), 1.1)
		weights[i] = c.weight
		c.subscribers = int64(20e6*c.weight*math.Exp(0.3*g.rng.NormFloat64())) + 50
		c.nsfw = i >= 3 && g.rng.Float64() < 0.06
		c.private = i >= 5 && g.rng.Float64() < 0.04
		if c.private {
			c.subscribers /= 100
		}
		shares := make([]float64, len(mediaTypes))
		for j, m := range mediaTypes {
			shares[j] = m.share * math.Exp(0.6*g.rng.NormFloat64())
		}
		c.media = cumulative(shares)
		c.topic = g.unit(g.o.EmbeddingDim, nil, 0)
	}
	g.cumC = cumulative(weights)
}

func (g *generator) communityName(i int) string {
	if i < len(communityNames) {
		return communityNames[i]
	}
	a := nameWords[g.rng.IntN(len(nameWords))]
	b := nameWords[g.rng.IntN(len(nameWords))]
	return a + b + strconv.Itoa(i)
}

func (g *generator) makeUsers() {
	cw := make([]float64, len(countries))
	for i, c := range countries {
		cw[i] = c.weight
	}
	cumCountry := cumulative(cw)
	g.users = make([]user, g.o.Users)
	for i := range g.users {
		u := &g.users[i]
		u.id = "u" + strconv.Itoa(i)
		u.country = countries[pick(g.rng, cumCountry)].code
		u.nsfwOK = g.rng.Float64() < 0.25
		k := g.logNormalCount(float64(g.o.Subscriptions), 0.7, 1, len(g.comms))
		seen := make(map[int]bool, k)
		for tries := 0; len(u.subs) < k && tries < 20*k; tries++ {
			c := pick(g.rng, g.cumC)
			if seen[c] || g.comms[c].private && g.rng.Float64() < 0.9 {
				continue
			}
			seen[c] = true
			u.subs = append(u.subs, c)
		}
	}
}

func (g *generator) makePosts() {
	postWeights := make([]float64, len(g.comms))
	for i, c := range g.comms {
		postWeights[i] = math.Pow(c.weight, 0.8)
	}
	cumPost := cumulative(postWeights)
	authorWeights := make([]float64, len(g.users))
	for i := range authorWeights {
		authorWeights[i] = 1 / float64(i+1)
	}
	cumAuthor := cumulative(authorWeights)
	top := g.comms[0].weight
	g.posts = make([]post, g.o.Posts)
	for i := range g.posts {
		p := &g.posts[i]
		p.id = "p" + strconv.Itoa(i)
		p.community = pick(g.rng, cumPost)
		c := &g.comms[p.community]
		c.posts = append(c.posts, i)
		mt := pick(g.rng, c.media)
		p.media = mediaTypes[mt].name
		author := &g.users[pick(g.rng, cumAuthor)]
		p.author = author.id
		p.country = author.country
		if g.rng.Float64() < 0.2 {
			p.country = countries[g.rng.IntN(len(countries))].code
		}
		p.age = time.Duration(g.rng.Float64() * float64(g.o.MaxAge))
		p.quality = 1 / (1 + math.Exp(-g.rng.NormFloat64()))
		ageHours := p.age.Hours()

		up := math.Exp(1.5 + 1.8*g.rng.NormFloat64()) // log-normal: a few posts go viral
		up *= 20 * math.Sqrt(c.weight/top)            // bigger communities vote more
		up *= math.Exp(3 * (p.quality - 0.5))
		up *= mediaTypes[mt].up
		up *= 1 - math.Exp(-ageHours/6) // votes come in over the first hours
		if c.private {
			up *= 0.1
		}
		p.upvotes = int64(min(up, 2e6))
		perVote := math.Exp(-2.3 + 0.8*g.rng.NormFloat64())
		switch p.media {
		case MediaText:
			perVote *= 2
		case MediaLink:
			perVote *= 1.2
		}
		p.comments = int64(float64(p.upvotes)*perVote + g.rng.ExpFloat64()*0.5)

		p.nsfw = g.rng.Float64() < 0.01
		if c.nsfw {
			p.nsfw = g.rng.Float64() < 0.9
		}
		p.private = c.private
		p.ratio = round(0.5+0.49/(1+math.Exp(-6*(p.quality-0.5)-0.3*g.rng.NormFloat64())), 2)
		p.ctr = round(min(0.5, (0.02+0.08*p.quality)*mediaTypes[mt].click*math.Exp(0.3*g.rng.NormFloat64())), 4)
		p.quality = round(p.quality, 4)
		p.hot = round(math.Log10(max(float64(p.upvotes), 1))-ageHours/12.5, 6)
		p.embedding = g.vector(g.o.EmbeddingDim, c.topic, 0.3)
	}
	for i := range g.comms {
		c := &g.comms[i]
		w := make([]float64, len(c.posts))
		for j, p := range c.posts {
			w[j] = float64(g.posts[p].upvotes + 1)
		}
		c.cumUp = cumulative(w)
	}
}

// makeViews picks each user's recently viewed posts: mostly from their
// communities, the rest from everywhere, more often the more upvoted.
func (g *generator) makeViews() {
	w := make([]float64, len(g.posts))
	for i, p := range g.posts {
		if !p.private {
			w[i] = float64(p.upvotes + 1)
		}
	}
	cumAll := cumulative(w)
	g.views = make([][]int, len(g.users))
	for i, u := range g.users {
		n := g.logNormalCount(float64(g.o.Viewed), 0.8, 0, 5*g.o.Viewed)
		seen := make(map[int]bool, n)
		for tries := 0; len(g.views[i]) < n && tries < 10*n; tries++ {
			p := -1
			if len(u.subs) > 0 && g.rng.Float64() < 0.6 {
				c := &g.comms[u.subs[g.rng.IntN(len(u.subs))]]
				if len(c.posts) > 0 {
					p = c.posts[pick(g.rng, c.cumUp)]
				}
			} else if len(g.posts) > 0 {
				p = pick(g.rng, cumAll)
			}
			if p < 0 || seen[p] {
				continue
			}
			seen[p] = true
			g.views[i] = append(g.views[i], p)
		}
	}
}

func (g *generator) dataset() *Dataset {
	o := g.o
	d := &Dataset{Meta: map[string]string{
		"generator":   "rankflow dataset.Generate",
		"seed":        strconv.FormatUint(o.Seed, 10),
		"now":         o.Now.UTC().Format(time.RFC3339),
		"communities": strconv.Itoa(o.Communities),
		"posts":       strconv.Itoa(o.Posts),
		"users":       strconv.Itoa(o.Users),
	}}
	d.Entities = make([]Entity, 0, len(g.comms)+len(g.posts)+len(g.users))
	for _, c := range g.comms {
		d.Entities = append(d.Entities, Entity{NamespaceCommunity, c.id, map[string]rank.Value{
			"name":        rank.StringValue(c.name),
			"subscribers": rank.IntValue(c.subscribers),
			"nsfw":        rank.BoolValue(c.nsfw),
			"private":     rank.BoolValue(c.private),
		}})
	}
	for _, p := range g.posts {
		f := map[string]rank.Value{
			"community":    rank.StringValue(g.comms[p.community].id),
			"author":       rank.StringValue(p.author),
			"media_type":   rank.StringValue(p.media),
			"created_at":   rank.IntValue(o.Now.Add(-p.age).Unix()),
			"upvotes":      rank.IntValue(p.upvotes),
			"comments":     rank.IntValue(p.comments),
			"nsfw":         rank.BoolValue(p.nsfw),
			"private":      rank.BoolValue(p.private),
			"country":      rank.StringValue(p.country),
			"upvote_ratio": rank.FloatValue(p.ratio),
			"ctr":          rank.FloatValue(p.ctr),
			"quality":      rank.FloatValue(p.quality),
		}
		if p.embedding != nil {
			f["embedding"] = rank.FloatVectorValue(p.embedding)
		}
		d.Entities = append(d.Entities, Entity{NamespacePost, p.id, f})
	}
	for _, u := range g.users {
		subs := make([]string, len(u.subs))
		topics := make([]float64, max(o.EmbeddingDim, 0))
		for i, c := range u.subs {
			subs[i] = g.comms[c].id
			for j, t := range g.comms[c].topic {
				topics[j] += t
			}
		}
		f := map[string]rank.Value{
			"country":       rank.StringValue(u.country),
			"subscriptions": rank.StringSetValue(subs...),
			"nsfw_ok":       rank.BoolValue(u.nsfwOK),
		}
		if o.EmbeddingDim > 0 {
			f["embedding"] = rank.FloatVectorValue(g.vector(o.EmbeddingDim, topics, 0.5))
		}
		d.Entities = append(d.Entities, Entity{NamespaceUser, u.id, f})
	}

	// Lists are sorted as a store sorts them: score descending, ties by id.
	byHot := func(a, b int) int {
		return cmp.Or(cmp.Compare(g.posts[b].hot, g.posts[a].hot), cmp.Compare(g.posts[a].id, g.posts[b].id))
	}
	hotScore := func(p int) float64 { return g.posts[p].hot }
	public := func(p int) bool { return !g.posts[p].nsfw && !g.posts[p].private }
	all := make([]int, len(g.posts))
	for i := range all {
		all[i] = i
	}
	slices.SortFunc(all, byHot)
	// The big lists shared by every user are published as snapshots with
	// their posts' features too; the per-community lists are not.
	d.Lists = append(d.Lists, List{PopularKey, g.top(all, o.PopularLen, public, hotScore), NamespacePost})
	for _, mt := range listedMedia {
		in := func(p int) bool { return public(p) && g.posts[p].media == mt }
		d.Lists = append(d.Lists, List{MediaKey(mt), g.top(all, o.MediaLen, in, hotScore), NamespacePost})
	}
	for _, c := range countries {
		in := func(p int) bool { return public(p) && g.posts[p].country == c.code }
		d.Lists = append(d.Lists, List{CountryPopularKey(c.code), g.top(all, o.CountryLen, in, hotScore), NamespacePost})
	}
	createdAt := func(p int) float64 { return float64(o.Now.Add(-g.posts[p].age).Unix()) }
	for _, c := range g.comms {
		if len(c.posts) == 0 {
			continue
		}
		ps := slices.Clone(c.posts)
		slices.SortFunc(ps, byHot)
		d.Lists = append(d.Lists, List{CommunityHotKey(c.id), g.top(ps, o.HotLen, nil, hotScore), ""})
		slices.SortFunc(ps, func(a, b int) int {
			return cmp.Or(cmp.Compare(createdAt(b), createdAt(a)), cmp.Compare(g.posts[a].id, g.posts[b].id))
		})
		d.Lists = append(d.Lists, List{CommunityNewKey(c.id), g.top(ps, o.HotLen, nil, createdAt), ""})
	}

	for i, u := range g.users {
		if len(g.views[i]) == 0 {
			continue
		}
		ids := make([]string, len(g.views[i]))
		for j, p := range g.views[i] {
			ids[j] = g.posts[p].id
		}
		d.Sets = append(d.Sets, Set{UserViewedKey(u.id), ids})
	}
	return d
}

// top returns the first n of sorted that keep reports true for (all when
// keep is nil), scored by score.
func (g *generator) top(sorted []int, n int, keep func(int) bool, score func(int) float64) []store.Scored {
	out := make([]store.Scored, 0, min(n, len(sorted)))
	for _, p := range sorted {
		if len(out) == n {
			break
		}
		if keep == nil || keep(p) {
			out = append(out, store.Scored{ID: g.posts[p].id, Score: score(p)})
		}
	}
	return out
}

// unit returns a random unit vector of dim values near center (when given),
// with noise of the given scale; nil when dim <= 0.
func (g *generator) unit(dim int, center []float64, noise float64) []float64 {
	if dim <= 0 {
		return nil
	}
	v := make([]float64, dim)
	var norm float64
	for i := range v {
		if center == nil {
			v[i] = g.rng.NormFloat64()
		} else {
			v[i] = center[i] + noise*g.rng.NormFloat64()
		}
		norm += v[i] * v[i]
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		norm = 1
	}
	for i := range v {
		v[i] /= norm
	}
	return v
}

// vector is unit as float32, rounded to 3 decimals to keep files small.
func (g *generator) vector(dim int, center []float64, noise float64) []float32 {
	v := g.unit(dim, center, noise)
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(round(x, 3))
	}
	return out
}

// logNormalCount returns a heavy-tailed count with the given median, clamped
// to [lo, hi].
func (g *generator) logNormalCount(median, sigma float64, lo, hi int) int {
	n := int(math.Round(median * math.Exp(sigma*g.rng.NormFloat64())))
	return max(lo, min(hi, n))
}

// cumulative returns the running sums of w.
func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	var sum float64
	for i, x := range w {
		sum += x
		c[i] = sum
	}
	return c
}

// pick returns an index drawn with probability proportional to its weight,
// given the cumulative weights; cum must not be empty.
func pick(rng *rand.Rand, cum []float64) int {
	x := rng.Float64() * cum[len(cum)-1]
	i := sort.Search(len(cum), func(i int) bool { return cum[i] > x }) // skips zero weights
	return min(i, len(cum)-1)
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
