package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
)

// StateEventName is the event name of the log records that carry a
// detection state (the Collector's syncaudit connector emits one per
// interval).
const StateEventName = "syncaudit.state"

// stateHelp is appended to analyze's help.
const stateHelp = `

With --state, each PATH is a detection state instead of spans: OTLP/JSON log
lines as the Collector's file exporter writes the syncaudit connector's logs
(records with event name "syncaudit.state", body the bytes of the state; gzip
allowed), or a raw binary state. The states of every instance and interval
are merged (savings sketched: --savings is sketch) and reported: the summary's
request count, endpoints (requests, latency percentiles from the states'
histograms), ranked candidates with savings, and the combined plan: exact
for an endpoint whose requests the connector simulated under its recommended
changes (it guesses them from its earlier requests) or with one recommended
change; otherwise the best change's alone, marked estimated (the plan's
simulation needs the traces). What needs the
traces is left empty: input counts, errors, synchronous calls, depth and
critical-path breakdown per endpoint, asynchronous flows, the checklist and
the waterfalls. --enqueue-cost must be the connector's.`

// registerStateFlag adds --state to analyze.
func registerStateFlag(cmd *cobra.Command, opts *AnalyzeOptions) {
	cmd.Long += stateHelp
	cmd.Example += `

  # Merge the detection states of every Collector instance and interval
  syncaudit analyze --state states/*.jsonl -o markdown`
	cmd.Flags().BoolVar(&opts.State, "state", false, "each PATH is a detection state (the syncaudit connector's logs, OTLP/JSON lines, or binary): merge and report them")
}

// stateRun is `analyze --state`.
func stateRun(cmd *cobra.Command, opts *AnalyzeOptions) error {
	ao, err := opts.auditOptions()
	if err != nil {
		return err
	}
	ao.Detect.Savings = detect.SavingsSketch
	merged, err := detect.NewState(ao.Detect)
	if err != nil {
		return usageErrorf("%v", err)
	}
	in := report.Input{}
	var errs []error
	states := 0
	for _, path := range opts.Paths {
		in.Files++
		n, ferrs := mergeStateFile(path, opts.IO.In, ao.Detect, merged)
		states += n
		if len(ferrs) > 0 {
			in.FilesFailed++
			errs = append(errs, ferrs...)
		}
	}
	printErrors(opts.IO.ErrOut, errs)
	fmt.Fprintf(opts.IO.ErrOut, "read %d file(s), %d state(s), %d request(s)\n", in.Files, states, merged.Requests())
	if states == 0 {
		if len(errs) > 0 {
			return withCode(ExitInput, nil)
		}
		fmt.Fprintln(opts.IO.ErrOut, "syncaudit: the inputs hold no detection state")
		return withCode(ExitNoData, nil)
	}
	rep, approx, err := audit.FromState(cmd.Context(), merged, ao)
	if err != nil {
		return err
	}
	for _, e := range approx {
		fmt.Fprintf(opts.IO.ErrOut, "note: plan of %s estimated from its best change alone (the states did not simulate all its requests under its recommended changes together)\n", e)
	}
	rep.Summary.Input = in
	rep.Audit = review.Evaluate(opts.rules, rep)
	if err := writeReport(opts.IO, opts.Output, opts.OutFile, rep); err != nil {
		return err
	}
	if len(errs) > 0 {
		return withCode(ExitInput, nil)
	}
	for _, a := range rep.Audit {
		if a.Failed {
			fmt.Fprintf(opts.IO.ErrOut, "audit: rule %q failed: %s\n", a.Rule, strings.Join(a.Offenders, "; "))
			return withCode(ExitAudit, nil)
		}
	}
	return nil
}

// mergeStateFile reads the states of one file ("-": stdin) into merged and
// returns how many it merged and the problems met, positioned: line and
// column in JSON, byte offset in a binary state. A bad record does not
// stop the others.
func mergeStateFile(path string, stdin io.Reader, opt detect.Options, merged *detect.State) (int, []error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return 0, []error{err}
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err == nil {
			data, err = io.ReadAll(io.LimitReader(zr, 1<<32))
		}
		if err != nil {
			return 0, []error{fmt.Errorf("%s: gzip: %w", path, err)}
		}
	}
	add := func(b []byte) error {
		st, err := detect.NewState(opt)
		if err != nil {
			return err
		}
		if err := st.UnmarshalBinary(b); err != nil {
			return err
		}
		return merged.Merge(st)
	}
	if bytes.HasPrefix(data, []byte("syncaudit-detect\x00")) {
		if err := add(data); err != nil {
			return 0, []error{decoder.BinaryError(path, corruptOffset(err), err)}
		}
		return 1, nil
	}
	n := 0
	var errs []error
	_ = decoder.Lines(data, func(line []byte, off int64) error {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		bodies, err := stateBodies(line)
		if err != nil {
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			at := off
			switch {
			case errors.As(err, &se):
				at += max(se.Offset-1, 0)
			case errors.As(err, &te):
				at += te.Offset
			}
			errs = append(errs, decoder.TextError(path, data, at, err))
			return nil
		}
		for _, b64 := range bodies {
			at := off + int64(max(bytes.Index(line, []byte(b64)), 0))
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				errs = append(errs, decoder.TextError(path, data, at, fmt.Errorf("state body: %w", err)))
				continue
			}
			if err := add(b); err != nil {
				errs = append(errs, decoder.TextError(path, data, at, fmt.Errorf("state body: %w", err)))
				continue
			}
			n++
		}
		return nil
	})
	if n == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: no %q log record and not a binary state", path, StateEventName))
	}
	return n, errs
}

// corruptOffset is the byte offset detect's decoding errors name ("at
// byte N"), or 0.
func corruptOffset(err error) int64 {
	s := err.Error()
	i := strings.LastIndex(s, "at byte ")
	if i < 0 {
		return 0
	}
	var off int64
	fmt.Sscanf(s[i+len("at byte "):], "%d", &off)
	return off
}

// otlpLogs is the part of an OTLP/JSON logs document a state is read from.
type otlpLogs struct {
	ResourceLogs []struct {
		ScopeLogs []struct {
			LogRecords []struct {
				EventName  string `json:"eventName"`
				Attributes []struct {
					Key string `json:"key"`
				} `json:"attributes"`
				Body struct {
					BytesValue *string `json:"bytesValue"`
				} `json:"body"`
			} `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

// stateBodies returns the base64 bodies of the state records of one
// OTLP/JSON logs line: records named StateEventName, or carrying the
// syncaudit.state.version attribute, with a bytes body.
func stateBodies(line []byte) ([]string, error) {
	var doc otlpLogs
	if err := json.Unmarshal(line, &doc); err != nil {
		return nil, err
	}
	var out []string
	for _, rl := range doc.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			for _, lr := range sl.LogRecords {
				named := lr.EventName == StateEventName
				for _, a := range lr.Attributes {
					named = named || a.Key == "syncaudit.state.version"
				}
				if named && lr.Body.BytesValue != nil {
					out = append(out, *lr.Body.BytesValue)
				}
			}
		}
	}
	return out, nil
}
