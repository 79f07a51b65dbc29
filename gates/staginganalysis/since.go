package staginganalysis

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// runsDigest reports whether a label value names the digest: the digest
// itself, or an image reference or image ID ending in @digest (as
// kube_pod_container_info's image_id does).
func runsDigest(value, digest string) bool {
	return value == digest || strings.HasSuffix(value, "@"+digest)
}

// sinceDigest finds, from staging's metrics, when staging started running
// only the candidate: walking back from now, the earliest step of the
// latest stretch in which every series names the candidate's digest. A
// step with another digest (an old replica still up) or with no series
// ends the stretch. Staging must run only the candidate now.
func (r *run) sinceDigest(ctx context.Context) (time.Time, error) {
	sd := r.st.since
	if !digestRE.MatchString(sd.digest) {
		return time.Time{}, fmt.Errorf("since-digest: digest %s is not a sha256:<64 hex> digest", quoteShort(sd.digest, 80))
	}
	end := r.env.Now().Truncate(time.Millisecond)
	start := end.Add(-sd.search)
	n := int(end.Sub(start)/sd.q.step) + 1
	list, err := r.rangeQuery(ctx, sd.q, start, end)
	if err != nil {
		return time.Time{}, fmt.Errorf("since-digest: %w", err)
	}
	// state[k]: which images step k saw.
	const candidate, other = 1, 2
	state := make([]int, n)
	for _, s := range list {
		v, ok := s.metric[sd.label]
		if !ok {
			return time.Time{}, fmt.Errorf("since-digest: series %s has no label %s: set label to the one that holds the digest", s.labels, sd.label)
		}
		mine := runsDigest(v, sd.digest)
		for _, p := range s.points {
			off := p.t.Sub(start)
			k := int(off / sd.q.step)
			if off < 0 || off%sd.q.step != 0 || k >= n {
				return time.Time{}, fmt.Errorf("since-digest: series %s has a point at %s, which is not a step of the search", s.labels, p.t.Format(time.RFC3339))
			}
			if mine {
				state[k] |= candidate
			} else {
				state[k] |= other
			}
		}
	}
	if state[n-1] != candidate {
		what := map[int]string{0: "no series of the query", other: "only other images", candidate | other: "another image too"}[state[n-1]]
		return time.Time{}, fmt.Errorf("since-digest: staging does not run only %s now (%s at %s): it cannot vouch for the candidate yet",
			sd.digest, what, end.UTC().Format(time.RFC3339))
	}
	k := n - 1
	for k > 0 && state[k-1] == candidate {
		k--
	}
	since := start.Add(time.Duration(k) * sd.q.step)
	if k == 0 {
		r.env.Notef("since-digest: staging has run only %s for the whole search (%s), since %s at least", sd.digest, sd.search, since.UTC().Format(time.RFC3339))
	} else {
		r.env.Notef("since-digest: staging has run only %s since %s", sd.digest, since.UTC().Format(time.RFC3339))
	}
	return since, nil
}
