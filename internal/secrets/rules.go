package secrets

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/detect/codec"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"
)

// Rules is a gitleaks configuration ready to scan with: its detectors
// (NewDetector) scan each fragment with the rules Detect sets for it.
//
// The rules of a configuration known to compile (gitleaks' default rules,
// see LazyRules) compile the first time a fragment can need them.
// Compiling all 222 default rules costs about 180 ms of CPU, most of the
// work of scanning a small change, and the fragments of a 50-commit change
// of etcd can only be matched by 19 of them. gitleaks runs a rule on a
// fragment only when one of the rule's keywords is in the fragment or in
// what it decodes from it (or when the rule has none), so a detector given
// those rules finds exactly what one given every rule finds. Finding them
// repeats some of gitleaks' own work on the fragment, so once the
// fragments scanned this way add up to lazyBudget bytes, the remaining
// rules compile and every fragment gets every rule.
//
// A Rules is safe for concurrent use; its detectors are not (see Detect).
type Rules struct {
	name string
	// base is the configuration without its rules: the global allowlists
	// and every rule's keywords (gitleaks indexes a detector's keywords
	// when it is made).
	base glconfig.Config
	// ids are the rules' ids, in the configuration's order; rule i is
	// compiled by compiled[i].
	ids      []string
	compiled []lazyRule
	// full is every rule, once compiled; before that, Detect sets the
	// rules each fragment needs.
	full atomic.Pointer[fullRules]

	// The prefilter's checks that hold for these rules, and the rule of
	// each.
	checks    []ruleCheck
	pf        *Prefilter // of checks
	prefilter []int

	// What needed and ruleOut read (nil trie: a Rules compiled whole):
	vc        glconfig.ViperConfig // the rules, each translated on its own
	always    bits                 // the rules without keywords
	pathed    []int                // the rules with a path
	trie      *ahocorasick.Trie    // every keyword, lowercased
	byKeyword [][]int              // the rules of the trie's pattern i
	// keywords finds the trie's patterns faster, keyword i being pattern
	// i (nil: it cannot, see newKeywordFilter).
	keywords *keywordFilter
	// plain finds the keywords of the rules neither checked nor with a
	// path (nil: it cannot, see newKeywordFilter), for mayMatch;
	// unconditional is set when a rule has neither a keyword nor a path.
	plain         *keywordFilter
	unconditional bool
	// checkedKeywords finds each checked rule's keywords (nil: it cannot).
	checkedKeywords []*keywordFilter
	// decode tells a fragment gitleaks decodes whose decoding passes can
	// find nothing (see decodedMayFind), made when first needed (about
	// 6 ms: most scans decode nothing); nil when it cannot tell.
	decode func() *decodeFilter

	// Only before full is set:
	lazyBytes  atomic.Int64
	budget     int64 // lazyBudget, but in tests
	compileAll sync.Once
	mu         sync.Mutex
	sets       map[string]map[string]glconfig.Rule // rule maps made, by their bits
	setRules   int                                 // the rules of those maps

	// strings lends the detectors of scanString: [0] redacting, [1]
	// revealing.
	strings [2]sync.Pool
}

// maxLentFindings is how many findings a detector of scanString may have
// made and still be lent again.
const maxLentFindings = 256

// fullRules is every rule, and every rule without each set of the
// prefilter's rules (see Prefilter).
type fullRules struct {
	rules   map[string]glconfig.Rule
	without []map[string]glconfig.Rule // by Prefilter.Impossible's mask
	err     error
}

// lazyRule is one rule, compiled once.
type lazyRule struct {
	once sync.Once
	rule glconfig.Rule
	err  error
}

// lazyBudget is how many bytes of fragments are scanned with only the
// rules they need before every rule is compiled: about what gitleaks'
// keyword search costs, done twice, for the time compiling every default
// rule takes.
const lazyBudget = 8 << 20

// maxSetRules bounds the rules of the rule maps kept for reuse, together:
// a map per set of rules fragments needed, up to 222 rules each, would
// otherwise let fragments holding many different sets of keywords keep
// about 100 MB (4,096 maps) until the process ends.
const maxSetRules = 1 << 15

// bits is a set of rules, bit i for rule i.
type bits []uint64

func (b bits) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bits) clear(i int)    { b[i/64] &^= 1 << (i % 64) }
func (b bits) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// none reports whether no bit is set.
func (b bits) none() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// key is the set as a map key.
func (b bits) key() string {
	var sb strings.Builder
	sb.Grow(len(b) * 8)
	for _, w := range b {
		for s := 0; s < 64; s += 8 {
			sb.WriteByte(byte(w >> s))
		}
	}
	return sb.String()
}

// CompileRules compiles every rule of vc now (see Compile): for a
// configuration from a file, whose errors must show before any scan.
func CompileRules(vc glconfig.ViperConfig, name string) (*Rules, error) {
	cfg, err := Compile(vc, name)
	if err != nil {
		return nil, err
	}
	return compiledRules(cfg, name), nil
}

// compiledRules is a Rules of cfg, every rule compiled.
func compiledRules(cfg glconfig.Config, name string) *Rules {
	r := &Rules{name: name, base: cfg}
	r.base.Rules = map[string]glconfig.Rule{}
	r.ids = make([]string, 0, len(cfg.Rules))
	for _, id := range cfg.OrderedRules {
		if _, ok := cfg.Rules[id]; ok {
			r.ids = append(r.ids, id)
		}
	}
	r.pf = NewPrefilter(cfg)
	r.checks = r.pf.checks
	r.full.Store(r.newFull(cfg.Rules))
	return r
}

// newFull is every rule and its maps without the prefilter's rules.
func (r *Rules) newFull(all map[string]glconfig.Rule) *fullRules {
	f := &fullRules{rules: all, without: make([]map[string]glconfig.Rule, 1<<len(r.checks))}
	cfg := glconfig.Config{Rules: all}
	for mask := range f.without {
		f.without[mask] = r.pf.Without(cfg, uint(mask)).Rules
	}
	return f
}

// LazyRules is vc's rules. Those that are exactly a rule of known (a
// configuration known to compile: the default rules) compile when a
// fragment first needs them; the others compile now, on every core, so
// that their errors show before any scan. A configuration whose rules
// cannot be compiled apart (see splittable) is compiled now, whole.
func LazyRules(vc glconfig.ViperConfig, name string, known glconfig.ViperConfig) (*Rules, error) {
	if !splittable(vc) || len(vc.Rules) == 0 {
		return CompileRules(vc, name)
	}
	// The global allowlists, compiled once, now.
	globals := vc
	globals.Rules = nil
	base, err := translateAny(globals, name)
	if err != nil {
		return nil, err
	}
	r := &Rules{name: name, base: base, vc: vc, compiled: make([]lazyRule, len(vc.Rules)), budget: lazyBudget, sets: map[string]map[string]glconfig.Rule{}}
	r.base.Rules = map[string]glconfig.Rule{}
	r.base.OrderedRules = nil
	r.base.Keywords = map[string]struct{}{}
	r.always = make(bits, (len(vc.Rules)+63)/64)
	pattern := map[string]int{}
	var patterns []string
	for i, vr := range vc.Rules {
		r.ids = append(r.ids, vr.ID)
		if len(vr.Keywords) == 0 {
			r.always.set(i)
		}
		if vr.Path != "" {
			r.pathed = append(r.pathed, i)
		}
		for _, k := range vr.Keywords {
			k = strings.ToLower(k) // as gitleaks' translation does
			r.base.Keywords[k] = struct{}{}
			p, ok := pattern[k]
			if !ok {
				p = len(patterns)
				pattern[k] = p
				patterns = append(patterns, k)
				r.byKeyword = append(r.byKeyword, nil)
			}
			r.byKeyword[p] = append(r.byKeyword[p], i)
		}
		for _, c := range ruleChecks {
			if vr.ID == c.id && vr.Regex == c.regex && vr.Path == "" {
				r.checks = append(r.checks, c)
				r.prefilter = append(r.prefilter, i)
			}
		}
	}
	r.pf = &Prefilter{checks: r.checks}
	r.trie = ahocorasick.NewTrieBuilder().AddStrings(patterns).Build()
	r.keywords = newKeywordFilter(patterns)
	var plain []string
	for i, vr := range vc.Rules {
		if slices.Contains(r.prefilter, i) || vr.Path != "" {
			continue
		}
		if len(vr.Keywords) == 0 {
			r.unconditional = true
		}
		plain = append(plain, vr.Keywords...)
	}
	r.plain = newKeywordFilter(plain)
	for _, i := range r.prefilter {
		var f *keywordFilter
		if len(vc.Rules[i].Keywords) > 0 {
			f = newKeywordFilter(vc.Rules[i].Keywords)
		}
		r.checkedKeywords = append(r.checkedKeywords, f)
	}
	r.decode = sync.OnceValue(func() *decodeFilter { return newDecodeFilter(vc) })
	r.base.OrderedRules = append(r.base.OrderedRules, r.ids...)

	knownRules := make(map[string]int, len(known.Rules))
	for i, kr := range known.Rules {
		knownRules[kr.ID] = i
	}
	var now []int
	for i, vr := range vc.Rules {
		if k, ok := knownRules[vr.ID]; !ok || !reflect.DeepEqual(vr, known.Rules[k]) {
			now = append(now, i)
		}
	}
	if err := r.compileNow(now); err != nil {
		return nil, err
	}
	if len(now) == len(r.ids) {
		if f := r.compileRest(); f.err != nil {
			return nil, f.err
		}
	}
	return r, nil
}

// SetPath sets the path of the configuration file, which gitleaks does
// not scan (its Config.Path). Call it before any detector is made.
func (r *Rules) SetPath(path string) { r.base.Path = path }

// Base is the configuration without its rules (Detect sets them for each
// fragment): its global allowlists and keywords.
func (r *Rules) Base() glconfig.Config { return r.base }

// Has reports whether the configuration holds a rule of that id.
func (r *Rules) Has(id string) bool {
	for _, x := range r.ids {
		if x == id {
			return true
		}
	}
	return false
}

// All is every rule, compiled.
func (r *Rules) All() (map[string]glconfig.Rule, error) {
	f := r.compileRest()
	return f.rules, f.err
}

// NewDetector makes a detector for these rules (see the package's
// NewDetector). Scan with it through Detect only: it holds no rule until
// Detect sets a fragment's.
func (r *Rules) NewDetector(ctx context.Context, reveal bool) *detect.Detector {
	return NewDetector(ctx, r.base, reveal)
}

// Detect scans one fragment with d (one of r's detectors), set with the
// rules the fragment can need and, when gitleaks' decoder cannot find
// anything in it (see NeedsDecoding) or no rule can match near what it
// decodes (see decodedMayFind), without decoding: what it finds is
// what d would with every rule, decoding. With prefilter, the rules
// Prefilter rules out for the fragment are left out too. A fragment in
// which no rule can match (see ruleOut, and mayMatch for one larger than
// maxSkipCheck) is not handed to d at all. It
// returns what d found there; d records the findings too, dropping those
// its .gitleaksignore or baseline list. d must not be used by another
// goroutine during the call.
func (r *Rules) Detect(ctx context.Context, d *detect.Detector, fr sources.Fragment, prefilter bool) ([]report.Finding, error) {
	decode := NeedsDecoding(fr.Raw) && (r.trie == nil || r.decodedMayFind(fr))
	var need bits
	impossible := noMask
	switch {
	case decode || r.trie == nil:
		// Decoded text can wake any rule; rules compiled whole have no
		// keyword index.
	case len(fr.Raw) <= maxSkipCheck:
		need = r.needed(fr.Raw, false)
		r.ruleOut(need, fr)
		if need.none() {
			// No rule can find anything in it (see ruleOut): gitleaks
			// would run no rule's expression on it.
			return nil, nil
		}
	case r.plain != nil:
		impossible = r.pf.Impossible(fr.Raw)
		if !r.mayMatch(fr, impossible) {
			return nil, nil
		}
	}
	rules, err := r.forFragment(fr, decode, prefilter, need, impossible)
	if err != nil {
		return nil, err
	}
	d.Config.Rules = rules
	d.MaxDecodeDepth = 0
	if decode {
		d.MaxDecodeDepth = MaxDecodeDepth
	}
	findings := Detect(ctx, d, fr)
	// gitleaks stops at a context's end and returns what it had found:
	// a fragment it may not have read to the end is an error, never clean.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return findings, nil
}

// maxSkipCheck is the largest fragment that Detect first checks for any
// rule that can match (see ruleOut). The check saves what gitleaks does
// with every fragment (lowercasing it, looking up every rule's keywords,
// logging) when no rule can match, which is most small fragments: 95 % of
// the hunks of a diff (etcd, 10,015 commits) hold no keyword but those of
// rules ruled out. Its cost grows with the text, as gitleaks' own keyword
// search does, and a larger text holds some rule's keyword more often.
// Measured on Go's source files, one at a time: up to 256 bytes the check
// takes 0.3 of the time gitleaks alone takes, up to 1 KiB 0.7–0.8, from
// 1.5 to 2 KiB about the same, beyond that more. A larger fragment is
// checked by mayMatch instead, which costs less and tells only whether
// some rule may match.
const maxSkipCheck = 2 << 10

// noMask stands for the checks not run yet (see Prefilter.Impossible).
const noMask = ^uint(0)

// mayMatch reports whether some rule may find something in fr, a fragment
// gitleaks does not decode, as needed and ruleOut tell it of a small one,
// from what costs less on a large one: a rule without keyword or path
// runs on every fragment; a checked rule only where its check passes
// (impossible is Prefilter.Impossible's answer) and one of its keywords
// is; a rule with a path only on a fragment of that path (kept then,
// keyword or not); any other rule only where one of its keywords is (see
// keywordFilter).
func (r *Rules) mayMatch(fr sources.Fragment, impossible uint) bool {
	if r.unconditional {
		return true
	}
	for i, f := range r.checkedKeywords {
		if impossible&(1<<i) == 0 && (f == nil || f.any(fr.Raw)) {
			return true
		}
	}
	for _, i := range r.pathed {
		if r.pathMayMatch(i, fr) {
			return true
		}
	}
	return r.plain.any(fr.Raw)
}

// pathMayMatch reports whether rule i, a rule with a path, may run on fr:
// its path matches fr's, as gitleaks matches it (the path, or the Windows
// path when there is one), or the rule does not compile (the scan reports
// that).
func (r *Rules) pathMayMatch(i int, fr sources.Fragment) bool {
	rule, err := r.rule(i)
	if err != nil || rule.Path == nil {
		return true
	}
	return rule.Path.MatchString(fr.FilePath) || (fr.WindowsFilePath != "" && rule.Path.MatchString(fr.WindowsFilePath))
}

// ruleOut removes from need, the rules with a keyword in the fragment's
// text (see needed, without decoding), those that cannot match it: the
// rules whose check (see Prefilter) fails on the text, and the rules with
// a path that the fragment's path does not match. gitleaks runs a rule on
// a fragment it does not decode only when the rule has no keyword or one
// of its keywords is in the fragment; a rule with a path finds nothing in
// a fragment of another path (a rule with only a path, such as
// pkcs12-file, reports the file's path; one with an expression too is not
// run); and a failed check means the expression finds nothing.
func (r *Rules) ruleOut(need bits, fr sources.Fragment) {
	for i, c := range r.checks {
		if need.has(r.prefilter[i]) && !c.possible(fr.Raw) {
			need.clear(r.prefilter[i])
		}
	}
	for _, i := range r.pathed {
		if need.has(i) && !r.pathMayMatch(i, fr) {
			need.clear(i)
		}
	}
}

// forFragment is the rules to scan fr with. need, when not nil, is the
// rules fr can need, ruled out as ruleOut does. Before every rule is
// compiled, a fragment that is not decoded gets only the rules ruleOut
// leaves, prefilter or not; after, with prefilter, every rule but those
// the prefilter's checks rule out (impossible, unless noMask, is their
// answer for fr already).
func (r *Rules) forFragment(fr sources.Fragment, decode, prefilter bool, need bits, impossible uint) (map[string]glconfig.Rule, error) {
	raw := fr.Raw
	if f := r.full.Load(); f != nil {
		if f.err != nil {
			return nil, f.err
		}
		if decode || !prefilter {
			return f.rules, nil
		}
		if impossible == noMask {
			impossible = r.pf.Impossible(raw)
		}
		return f.without[impossible], nil
	}
	if r.lazyBytes.Add(int64(len(raw))) > r.budget {
		f := r.compileRest()
		if f.err != nil {
			return nil, f.err
		}
		return r.forFragment(fr, decode, prefilter, need, impossible)
	}
	if need == nil {
		need = r.needed(raw, decode)
		if !decode {
			r.ruleOut(need, fr)
		}
	}
	return r.set(need)
}

// needed is the rules gitleaks can run on raw: those without keywords and
// those with a keyword in raw (lowercased, as gitleaks looks for them)
// or, decoding, in what each of gitleaks' decoding passes makes of it.
func (r *Rules) needed(raw string, decode bool) bits {
	need := make(bits, len(r.always))
	copy(need, r.always)
	r.addKeywords(need, raw)
	if decode {
		// gitleaks' own decoding loop (detect.Detector.DetectContext).
		decoder := codec.NewDecoder()
		current, segments := raw, []*codec.EncodedSegment{}
		for range MaxDecodeDepth {
			current, segments = decoder.Decode(current, segments)
			if len(segments) == 0 {
				break
			}
			r.addKeywords(need, current)
		}
	}
	return need
}

// addKeywords adds the rules with a keyword in text lowercased, as
// gitleaks looks for keywords. The keyword filter tells the same as
// gitleaks' Aho-Corasick search over strings.ToLower(text) (see
// keywordFilter) but for the runes that lowercase to ASCII, and costs
// less: a quarter of the time on Go's files cut in 300-byte pieces, and
// in a CPU profile of a scan of etcd's history (whose small fragments are
// each searched so) 0.32 CPU-seconds against 0.71.
func (r *Rules) addKeywords(need bits, text string) {
	if r.keywords != nil && !slices.ContainsFunc(foldsToASCII, func(s string) bool { return strings.Contains(text, s) }) {
		r.keywords.each(text, func(_ int, _ string, pattern int) {
			for _, i := range r.byKeyword[pattern] {
				need.set(i)
			}
		})
		return
	}
	r.addKeywordsTrie(need, text)
}

// addKeywordsTrie is addKeywords with gitleaks' own search.
func (r *Rules) addKeywordsTrie(need bits, text string) {
	r.trie.Walk([]byte(strings.ToLower(text)), func(_, _, pattern int64) bool {
		for _, i := range r.byKeyword[pattern] {
			need.set(i)
		}
		return true
	})
}

// set is the map of the rules in need, each compiled.
func (r *Rules) set(need bits) (map[string]glconfig.Rule, error) {
	key := need.key()
	r.mu.Lock()
	m, ok := r.sets[key]
	r.mu.Unlock()
	if ok {
		return m, nil
	}
	m = map[string]glconfig.Rule{}
	for i := range r.ids {
		if !need.has(i) {
			continue
		}
		rule, err := r.rule(i)
		if err != nil {
			return nil, err
		}
		m[r.ids[i]] = rule
	}
	r.mu.Lock()
	if r.sets != nil && r.setRules+len(m) <= maxSetRules {
		r.sets[key] = m
		r.setRules += len(m)
	}
	r.mu.Unlock()
	return m, nil
}

// rule is rule i, compiled.
func (r *Rules) rule(i int) (glconfig.Rule, error) {
	c := &r.compiled[i]
	c.once.Do(func() {
		// The global allowlists are base's (ParseConfig folds a single
		// [allowlist] into them).
		part := r.vc
		part.Allowlists = nil
		// gitleaks' translation lowercases a rule's keywords in place.
		one := r.vc.Rules[i]
		one.Keywords = append([]string(nil), one.Keywords...)
		part.Rules = append(part.Rules[:0:0], one)
		cfg, err := translate(part, r.name)
		if err != nil {
			c.err = err
			return
		}
		rule, ok := cfg.Rules[r.ids[i]]
		if !ok {
			c.err = fmt.Errorf("gitleaks config %s: rule %s did not translate", r.name, r.ids[i])
			return
		}
		c.rule = rule
	})
	return c.rule, c.err
}

// compileNow compiles the rules listed, on every core, and returns their
// errors.
func (r *Rules) compileNow(rules []int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rules)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(rules); i = int(next.Add(1) - 1) {
				_, _ = r.rule(rules[i]) // errors are read below
			}
		}()
	}
	wg.Wait()
	var errs []error
	for _, i := range rules {
		if _, err := r.rule(i); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// compileRest compiles every rule not compiled yet, on every core, and
// makes them every fragment's rules.
func (r *Rules) compileRest() *fullRules {
	r.compileAll.Do(func() {
		if r.full.Load() != nil {
			return
		}
		all := make([]int, len(r.ids))
		for i := range all {
			all[i] = i
		}
		if err := r.compileNow(all); err != nil {
			r.full.Store(&fullRules{err: err})
			return
		}
		rules := make(map[string]glconfig.Rule, len(r.ids))
		for i, id := range r.ids {
			rules[id] = r.compiled[i].rule
		}
		r.full.Store(r.newFull(rules))
		// Every fragment gets every rule from now on: the maps made for
		// sets of them are of no more use.
		r.mu.Lock()
		r.sets, r.setRules = nil, 0
		r.mu.Unlock()
	})
	return r.full.Load()
}
