package scrub

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// LogProcessor returns a log processor that scrubs each record in OnEmit
// (records may be changed there, and the change is seen by the processors
// registered after it) and then hands it to next. It must be registered
// before any processor that exports or prints.
//
// Attributes are scrubbed as span attributes are; a string body, which has
// no key to match, is checked for the value rules (card numbers, JWTs,
// bearer and basic credentials, private keys, URL credentials) and for
// key=value forms ("retrying with api_key=..."); a map body is scrubbed like
// attributes. When anything is redacted, the record's
// attributes are replaced and list the redacted paths under [ScrubbedKey];
// the record's count of dropped attributes then restarts from zero, as
// [sdklog.Record.SetAttributes] does. A record with nothing to redact is
// not touched and costs no allocation.
//
// Enabled, Shutdown and ForceFlush are next's. A nil next gets nothing.
func (s *Scrubber) LogProcessor(next sdklog.Processor) sdklog.Processor {
	if s == nil {
		s = defaultScrubber
	}
	return &logProcessor{s: s, next: next}
}

type logProcessor struct {
	s    *Scrubber
	next sdklog.Processor
}

func (p *logProcessor) Enabled(ctx context.Context, param sdklog.EnabledParameters) bool {
	return p.next != nil && p.next.Enabled(ctx, param)
}

func (p *logProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if p.next == nil {
		return nil
	}
	if r != nil {
		p.s.scrubRecord(r)
	}
	return p.next.OnEmit(ctx, r)
}

func (p *logProcessor) Shutdown(ctx context.Context) error {
	if p.next == nil {
		return nil
	}
	return p.next.Shutdown(ctx)
}

func (p *logProcessor) ForceFlush(ctx context.Context) error {
	if p.next == nil {
		return nil
	}
	return p.next.ForceFlush(ctx)
}

// scrubRecord scrubs r in place.
func (s *Scrubber) scrubRecord(r *sdklog.Record) {
	w := walker{s: s}
	w.push(step{key: "attributes"})
	var out []attribute.KeyValue // nil until something changes
	i := 0
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if out == nil && w.clean(&kv, modeFull) {
			i++
			return true
		}
		nkv, changed := w.kv(kv, modeFull)
		if changed && out == nil {
			out = make([]attribute.KeyValue, 0, r.AttributesLen()+1)
			n := 0
			r.WalkAttributes(func(prev attribute.KeyValue) bool {
				if n == i {
					return false
				}
				out = append(out, prev)
				n++
				return true
			})
		}
		if out != nil {
			out = append(out, nkv)
		}
		i++
		return true
	})

	w.pop()

	// The body has no key of its own to match: its text is checked for
	// the value rules and for key=value forms, as a message such as
	// "retrying with api_key=..." holds secrets that way.
	body := r.Body()
	w.push(step{key: "body"})
	newBody, bodyChanged := w.value(body, modeFull)
	w.pop()

	if out == nil && !bodyChanged {
		return
	}
	if bodyChanged {
		r.SetBody(newBody)
	}
	if out != nil {
		r.SetAttributes(withScrubbed(out, true, w.paths)...)
		return
	}
	// Only the body changed: add the list, merged with any already there.
	var prev []attribute.KeyValue
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == ScrubbedKey {
			prev = append(prev, kv)
			return false
		}
		return true
	})
	r.AddAttributes(withScrubbed(prev, true, w.paths)...)
}
