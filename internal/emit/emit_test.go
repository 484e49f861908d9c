package emit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clientele/clientele/event"
	"github.com/clientele/clientele/internal/emit"
	"github.com/clientele/clientele/store"
)

// txSink records what EmitTx is given and fails with err.
type txSink struct {
	got []event.Event
	err error
}

func (s *txSink) Emit(context.Context, event.Event) error {
	return errors.New("Emit must not be called")
}
func (s *txSink) EmitTx(_ context.Context, events []event.Event) error {
	s.got = append(s.got, events...)
	return s.err
}

func TestTxSinkNeedsAUnit(t *testing.T) {
	sink := &txSink{}
	em := emit.New(sink, nil)
	ev := event.Event{Name: "x.created", Data: map[string]any{"id": "x_1"}}
	if err := em.Emit(t.Context(), ev); !errors.Is(err, emit.ErrNoUnit) {
		t.Fatalf("Emit outside a unit: %v, want ErrNoUnit", err)
	}
	if err := em.EmitDetached(t.Context(), ev); !errors.Is(err, emit.ErrNoUnit) {
		t.Fatalf("EmitDetached outside a unit: %v, want ErrNoUnit", err)
	}
	if len(sink.got) != 0 {
		t.Fatalf("sink got %v outside a unit", sink.got)
	}
}

func TestTxSinkRunsInTheUnitAndFailsIt(t *testing.T) {
	boom := errors.New("boom")
	sink := &txSink{err: boom}
	em := emit.New(sink, nil)
	ctx, u := store.BeginUnit(t.Context(), "owner", nil)
	defer u.End()
	ev := event.Event{Name: "x.created", Data: map[string]any{"id": "x_1"}}
	if err := em.Emit(ctx, ev); !errors.Is(err, boom) {
		t.Fatalf("Emit: %v, want the sink's error", err)
	}
	// Given at once, before any commit.
	if len(sink.got) != 1 || sink.got[0].Name != "x.created" {
		t.Fatalf("sink got %v", sink.got)
	}
	sink.err = nil
	if err := em.EmitDetached(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 2 {
		t.Fatalf("EmitDetached did not hand the event over in the unit: %v", sink.got)
	}
}

func TestPlainSinkAfterCommit(t *testing.T) {
	rec := &event.Recorder{}
	em := emit.New(rec, nil)
	ctx, u := store.BeginUnit(t.Context(), "owner", nil)
	if err := em.Emit(ctx, event.Event{Name: "x.created"}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("%d events before the commit", n)
	}
	u.Committed()
	if n := len(rec.Events()); n != 1 {
		t.Fatalf("%d events after the commit, want 1", n)
	}
}
