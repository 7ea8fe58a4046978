// Package asyncapi writes the events a report proposes (report.Event, one
// per recommended make-async candidate) as an AsyncAPI 3.0 document: a
// channel per event, its message with the suggested payload, and a send
// operation for the producer and a receive operation for the consumer.
//
// Input: a *report.Report. Output: the AsyncAPI document as indented
// JSON (AsyncAPI accepts JSON as well as YAML).
//
//	asyncapi.Write(os.Stdout, rep)
package asyncapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/syncaudit/syncaudit/report"
)

// Version is the AsyncAPI version written.
const Version = "3.0.0"

// Write writes rep's events as an AsyncAPI 3.0 document. A report
// without events gives a valid document with no channels.
func Write(w io.Writer, rep *report.Report) error {
	if rep == nil {
		return errors.New("asyncapi: nil report")
	}
	doc := document{
		AsyncAPI: Version,
		Info: info{
			Title:   "Events proposed by syncaudit",
			Version: "0.1.0",
			Description: "One event per synchronous call syncaudit recommends making asynchronous, " +
				"measured from the traces: x-syncaudit-rate is the observed arrival rate (events/s, median and busiest minute) " +
				"and x-syncaudit-consumers the consumer concurrency needed at the busiest minute (Little's law on the p95 processing time).",
		},
		Channels:   map[string]channel{},
		Operations: map[string]operation{},
		Components: components{Messages: map[string]message{}},
	}
	for _, ev := range rep.Events {
		msgID := ev.Name
		chID := ev.Channel
		if _, dup := doc.Channels[chID]; dup {
			chID = fmt.Sprintf("%s-%d", ev.Channel, ev.Candidate)
		}
		payload := schema{Type: "object", Properties: map[string]schema{}}
		for _, f := range ev.Payload {
			s := schema{Type: f.Type}
			if f.Type == "date-time" {
				s = schema{Type: "string", Format: "date-time"}
			}
			payload.Properties[f.Name] = s
			payload.Required = append(payload.Required, f.Name)
		}
		doc.Components.Messages[msgID] = message{
			Name:        ev.Name,
			Title:       ev.Name,
			Summary:     fmt.Sprintf("%s %s asks %s %s to do its work later (replaces candidate #%d).", ev.Producer.Service, ev.Producer.Operation, ev.Consumer.Service, ev.Consumer.Operation, ev.Candidate),
			ContentType: "application/json",
			Payload:     payload,
			Idempotency: ev.IdempotencyKey,
		}
		ref := map[string]string{"$ref": "#/components/messages/" + escape(msgID)}
		doc.Channels[chID] = channel{
			Address:     ev.Channel,
			Description: fmt.Sprintf("Published by %s, consumed by %s.", ev.Producer.Service, ev.Consumer.Service),
			Messages:    map[string]any{msgID: ref},
			Rate:        ev.Rate,
			Consumers:   ev.Consumers,
			Processing:  ev.ProcessingMs,
		}
		chRef := map[string]string{"$ref": "#/channels/" + escape(chID)}
		msgRef := []map[string]string{{"$ref": "#/channels/" + escape(chID) + "/messages/" + escape(msgID)}}
		doc.Operations["send-"+ev.Name] = operation{Action: "send", Channel: chRef, Messages: msgRef,
			Summary: ev.Producer.Service + " publishes instead of calling " + ev.Consumer.Service + "."}
		doc.Operations["receive-"+ev.Name] = operation{Action: "receive", Channel: chRef, Messages: msgRef,
			Summary: ev.Consumer.Service + " consumes and does the work " + ev.Consumer.Operation + " did."}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// escape escapes a JSON Pointer token (RFC 6901).
func escape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			out = append(out, '~', '0')
		case '/':
			out = append(out, '~', '1')
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}

type document struct {
	AsyncAPI   string               `json:"asyncapi"`
	Info       info                 `json:"info"`
	Channels   map[string]channel   `json:"channels"`
	Operations map[string]operation `json:"operations"`
	Components components           `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type channel struct {
	Address     string              `json:"address"`
	Description string              `json:"description"`
	Messages    map[string]any      `json:"messages"`
	Rate        report.EventRate    `json:"x-syncaudit-rate"`
	Consumers   int                 `json:"x-syncaudit-consumers"`
	Processing  report.LatencyAfter `json:"x-syncaudit-processing-ms"`
}

type operation struct {
	Action   string              `json:"action"`
	Channel  map[string]string   `json:"channel"`
	Messages []map[string]string `json:"messages"`
	Summary  string              `json:"summary"`
}

type components struct {
	Messages map[string]message `json:"messages"`
}

type message struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Summary     string `json:"summary"`
	ContentType string `json:"contentType"`
	Payload     schema `json:"payload"`
	Idempotency string `json:"x-syncaudit-idempotency-key"`
}

type schema struct {
	Type       string            `json:"type"`
	Format     string            `json:"format,omitempty"`
	Properties map[string]schema `json:"properties,omitempty"`
	Required   []string          `json:"required,omitempty"`
}
