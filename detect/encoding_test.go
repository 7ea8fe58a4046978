package detect

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// encodeBatches observes each batch into one State, in order, and encodes it.
func encodeBatches(t *testing.T, opt Options, batches [][]Request) []byte {
	t.Helper()
	st, err := NewState(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := st.Observe(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	data, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestStateEncodingCanonical: the same requests encode to the same bytes
// whatever the batching, and decoding then encoding gives them back.
func TestStateEncodingCanonical(t *testing.T) {
	traces := seedTraces(t)
	opt := DefaultOptions()
	var want []byte
	for name, batches := range batchings(traces) {
		got := encodeBatches(t, opt, batches)
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: encoding differs from another batching's", name)
		}
		st, _ := NewState(opt)
		if err := st.UnmarshalBinary(got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := st.MarshalBinary()
		if err != nil || !bytes.Equal(again, got) {
			t.Errorf("%s: round trip changed the encoding (%v)", name, err)
		}
	}
	if len(want) < 100 {
		t.Fatalf("encoding of %d bytes: the state holds nothing", len(want))
	}
}

func TestStateDecodeErrors(t *testing.T) {
	opt := DefaultOptions()
	good := encodeBatches(t, opt, [][]Request{requests(seedTraces(t)...)})
	other := opt
	other.EnqueueCost = 0
	for _, tc := range []struct {
		name string
		data []byte
		opt  Options
	}{
		{"empty", nil, opt},
		{"not a state", []byte("{}"), opt},
		{"truncated", good[:len(good)/2], opt},
		{"trailing bytes", append(append([]byte{}, good...), 0), opt},
		{"other version", append([]byte(stateMagic), 99), opt},
		{"other enqueue cost", good, other},
		{"one detector", good, Options{EnqueueCost: opt.EnqueueCost, Detectors: []*Detector{MakeAsync()}}},
	} {
		st, err := NewState(tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UnmarshalBinary(tc.data); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if st.Requests() != 0 {
			t.Errorf("%s: a failed decode left %d requests", tc.name, st.Requests())
		}
	}
	st, _ := NewState(opt)
	err := st.UnmarshalBinary(good[:len(good)-3])
	if !errors.Is(err, errCorrupt) {
		t.Errorf("truncated: %v, want errCorrupt", err)
	}
}

// seedTraces are the seed's sequential and parallel checkouts.
func seedTraces(tb testing.TB) []*trace.Trace {
	var out []*trace.Trace
	for i, d := range []string{seedSequential, seedParallel, seedSequential} {
		out = append(out, build(tb, uint64(i+1), d))
	}
	return out
}

// FuzzStateUnmarshal: decoding, into an exact and into a sketch State,
// never panics nor allocates without bound, whatever decodes encodes
// canonically (decoding that encoding gives the same bytes again), and
// finishes without panicking.
func FuzzStateUnmarshal(f *testing.F) {
	opt := DefaultOptions()
	f.Add([]byte(stateMagic))
	for _, o := range []Options{opt, withSketch(opt)} {
		for _, reqs := range [][]Request{requests(seedTraces(f)...), requests(build(f, 1, seedSequential))} {
			st, _ := NewState(o)
			if err := st.Observe(context.Background(), reqs); err != nil {
				f.Fatal(err)
			}
			good, err := st.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(good)
		}
	}
	// A sketch state with a speculated plan (StateVersionPlans).
	spec, _ := NewState(withSketch(opt))
	spec.Retain()
	if err := spec.Observe(context.Background(), requests(twoChangeTraces(f, 6)...)); err != nil {
		f.Fatal(err)
	}
	if err := spec.SpeculateRetained(context.Background()); err != nil {
		f.Fatal(err)
	}
	if good, err := spec.MarshalBinary(); err != nil {
		f.Fatal(err)
	} else {
		f.Add(good)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range []Options{opt, withSketch(opt)} {
			st, _ := NewState(o)
			if st.UnmarshalBinary(data) != nil {
				continue
			}
			once, err := st.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			st2, _ := NewState(o)
			if err := st2.UnmarshalBinary(once); err != nil {
				t.Fatalf("%v: re-encoded state does not decode: %v", o.Savings, err)
			}
			twice, err := st2.MarshalBinary()
			if err != nil || !bytes.Equal(once, twice) {
				t.Errorf("%v: encoding is not canonical (%v)", o.Savings, err)
			}
			if o.Savings == SavingsSketch {
				// Decoding checked every group against its endpoint.
				if _, err := st2.Finish(context.Background()); err != nil {
					t.Errorf("decoded sketch state does not finish: %v", err)
				}
				st2.PlanFromFindings()
				_ = st2.Plan()
			}
		}
	})
}
