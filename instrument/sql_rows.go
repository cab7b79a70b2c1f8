package instrument

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// wrapRows returns rows as they are, or, with [WithRowsSpans], wrapped in
// a "rows" span that lasts until they are closed.
func (in *sqlInstr) wrapRows(ctx context.Context, op *opInfo, rows driver.Rows) driver.Rows {
	if !in.cfg.rowsSpans {
		return rows
	}
	attrs := make([]attribute.KeyValue, 0, len(in.base)+1)
	attrs = append(attrs, in.base...)
	if op.summary != "" {
		attrs = append(attrs, semconv.DBQuerySummary(op.summary))
	}
	_, span := in.tracer.Start(ctx, "rows", trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return &sqlRows{rows: rows, span: span, in: in}
}

// sqlRows counts the rows read and ends its span when closed. Like
// sqlConn, it implements every optional interface and answers as
// database/sql would without it where the driver's rows lack one.
type sqlRows struct {
	rows driver.Rows
	span trace.Span
	in   *sqlInstr
	n    int
	err  error
}

var (
	_ driver.RowsNextResultSet              = (*sqlRows)(nil)
	_ driver.RowsColumnTypeScanType         = (*sqlRows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*sqlRows)(nil)
	_ driver.RowsColumnTypeLength           = (*sqlRows)(nil)
	_ driver.RowsColumnTypeNullable         = (*sqlRows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*sqlRows)(nil)
)

func (r *sqlRows) Columns() []string { return r.rows.Columns() }

func (r *sqlRows) Next(dest []driver.Value) error {
	err := r.rows.Next(dest)
	switch {
	case err == nil:
		r.n++
	case err != io.EOF && r.err == nil:
		r.err = err
	}
	return err
}

func (r *sqlRows) Close() error {
	err := r.rows.Close()
	if r.span != nil {
		r.span.SetAttributes(semconv.DBResponseReturnedRows(r.n))
		if failed := r.err; failed != nil {
			errType, code := sqlErrorType(failed)
			r.span.SetAttributes(semconv.ErrorTypeKey.String(errType))
			if code != "" {
				r.span.SetAttributes(semconv.DBResponseStatusCode(code))
			}
			msg := ""
			if r.in.cfg.errorText {
				r.span.RecordError(failed)
				msg = failed.Error()
			}
			r.span.SetStatus(codes.Error, msg)
		}
		r.span.End()
		r.span = nil
	}
	return err
}

func (r *sqlRows) HasNextResultSet() bool {
	if n, ok := r.rows.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *sqlRows) NextResultSet() error {
	if n, ok := r.rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}

var anyType = reflect.TypeFor[any]()

func (r *sqlRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return anyType
}

func (r *sqlRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *sqlRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *sqlRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *sqlRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
