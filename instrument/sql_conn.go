package instrument

import (
	"context"
	"database/sql/driver"
	"errors"
	"time"
)

// sqlConn is an instrumented connection. It implements every optional
// interface of database/sql; where the driver's connection lacks one, it
// behaves as database/sql does without it (driver.ErrSkip, a no-op, or the
// same fallback).
type sqlConn struct {
	conn driver.Conn
	in   *sqlInstr

	execer      driver.ExecerContext
	queryer     driver.QueryerContext
	legacyExec  driver.Execer  //nolint:staticcheck // drivers may still have only this
	legacyQuery driver.Queryer //nolint:staticcheck // drivers may still have only this
	preparer    driver.ConnPrepareContext
	beginner    driver.ConnBeginTx
	pinger      driver.Pinger
	resetter    driver.SessionResetter
	validator   driver.Validator
	checker     driver.NamedValueChecker

	// tx is the connection's transaction: database/sql runs at most one at
	// a time on a connection, so it is kept here rather than allocated per
	// BeginTx.
	tx sqlTx
}

var (
	_ driver.Conn               = (*sqlConn)(nil)
	_ driver.ExecerContext      = (*sqlConn)(nil)
	_ driver.QueryerContext     = (*sqlConn)(nil)
	_ driver.ConnPrepareContext = (*sqlConn)(nil)
	_ driver.ConnBeginTx        = (*sqlConn)(nil)
	_ driver.Pinger             = (*sqlConn)(nil)
	_ driver.SessionResetter    = (*sqlConn)(nil)
	_ driver.Validator          = (*sqlConn)(nil)
	_ driver.NamedValueChecker  = (*sqlConn)(nil)
)

func newConn(c driver.Conn, in *sqlInstr) *sqlConn {
	w := &sqlConn{conn: c, in: in}
	w.execer, _ = c.(driver.ExecerContext)
	w.queryer, _ = c.(driver.QueryerContext)
	w.legacyExec, _ = c.(driver.Execer)   //nolint:staticcheck
	w.legacyQuery, _ = c.(driver.Queryer) //nolint:staticcheck
	w.preparer, _ = c.(driver.ConnPrepareContext)
	w.beginner, _ = c.(driver.ConnBeginTx)
	w.pinger, _ = c.(driver.Pinger)
	w.resetter, _ = c.(driver.SessionResetter)
	w.validator, _ = c.(driver.Validator)
	w.checker, _ = c.(driver.NamedValueChecker)
	w.tx.conn = w
	return w
}

// Raw returns the driver's connection, for code that needs its own API
// (through [database/sql.Conn.Raw]).
func (c *sqlConn) Raw() driver.Conn { return c.conn }

func (c *sqlConn) Close() error { return c.conn.Close() }

func (c *sqlConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *sqlConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	op := c.in.query(query)
	start := time.Now()
	var st driver.Stmt
	var err error
	if c.preparer != nil {
		st, err = c.preparer.PrepareContext(ctx, query)
	} else {
		st, err = c.conn.Prepare(query)
		if err == nil && ctx.Err() != nil {
			_ = st.Close()
			st, err = nil, ctx.Err()
		}
	}
	c.in.record(ctx, c.in.prepareOp(op), start, err)
	if err != nil {
		return nil, err
	}
	return newStmt(st, c, op), nil
}

func (c *sqlConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	var res driver.Result
	var err error
	start := time.Now()
	switch {
	case c.execer != nil:
		res, err = c.execer.ExecContext(ctx, query, args)
	case c.legacyExec != nil:
		vals, verr := legacyArgs(ctx, args)
		if verr != nil {
			return nil, verr
		}
		res, err = c.legacyExec.Exec(query, vals)
	default:
		return nil, driver.ErrSkip
	}
	if err == driver.ErrSkip {
		return nil, err
	}
	c.in.record(ctx, c.in.query(query), start, err)
	return res, err
}

func (c *sqlConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	var rows driver.Rows
	var err error
	start := time.Now()
	switch {
	case c.queryer != nil:
		rows, err = c.queryer.QueryContext(ctx, query, args)
	case c.legacyQuery != nil:
		vals, verr := legacyArgs(ctx, args)
		if verr != nil {
			return nil, verr
		}
		rows, err = c.legacyQuery.Query(query, vals)
	default:
		return nil, driver.ErrSkip
	}
	if err == driver.ErrSkip {
		return nil, err
	}
	op := c.in.query(query)
	sctx := c.in.record(ctx, op, start, err)
	if err != nil {
		return nil, err
	}
	return c.in.wrapRows(sctx, op, rows), nil
}

func (c *sqlConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *sqlConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	start := time.Now()
	var tx driver.Tx
	var err error
	if c.beginner != nil {
		tx, err = c.beginner.BeginTx(ctx, opts)
	} else {
		// What database/sql does for a connection without BeginTx.
		switch {
		case opts.Isolation != driver.IsolationLevel(0):
			return nil, errors.New("sql: driver does not support non-default isolation level")
		case opts.ReadOnly:
			return nil, errors.New("sql: driver does not support read-only transactions")
		}
		tx, err = c.conn.Begin() //nolint:staticcheck // the driver has nothing else
		if err == nil && ctx.Err() != nil {
			_ = tx.Rollback()
			tx, err = nil, ctx.Err()
		}
	}
	c.in.record(ctx, c.in.begin, start, err)
	if err != nil {
		return nil, err
	}
	c.tx.tx, c.tx.ctx = tx, ctx
	return &c.tx, nil
}

func (c *sqlConn) Ping(ctx context.Context) error {
	if c.pinger == nil {
		return nil
	}
	if !c.in.cfg.pingSpans {
		return c.pinger.Ping(ctx)
	}
	start := time.Now()
	err := c.pinger.Ping(ctx)
	c.in.record(ctx, c.in.ping, start, err)
	return err
}

func (c *sqlConn) ResetSession(ctx context.Context) error {
	if c.resetter == nil {
		return nil
	}
	return c.resetter.ResetSession(ctx)
}

func (c *sqlConn) IsValid() bool {
	return c.validator == nil || c.validator.IsValid()
}

func (c *sqlConn) CheckNamedValue(nv *driver.NamedValue) error {
	if c.checker == nil {
		return driver.ErrSkip
	}
	return c.checker.CheckNamedValue(nv)
}

// legacyArgs prepares a call to a driver without the context interfaces,
// as database/sql does: the arguments converted, then ctx checked, since
// the call itself cannot be cancelled.
func legacyArgs(ctx context.Context, named []driver.NamedValue) ([]driver.Value, error) {
	vals := make([]driver.Value, len(named))
	for i, nv := range named {
		if nv.Name != "" {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		vals[i] = nv.Value
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return vals, nil
}

// sqlTx is an instrumented transaction. Commit and Rollback take no
// context: their spans are children of BeginTx's.
type sqlTx struct {
	conn *sqlConn
	tx   driver.Tx
	ctx  context.Context
}

func (t *sqlTx) Commit() error {
	start := time.Now()
	err := t.tx.Commit()
	t.conn.in.record(t.ctx, t.conn.in.commit, start, err)
	t.tx, t.ctx = nil, nil
	return err
}

func (t *sqlTx) Rollback() error {
	start := time.Now()
	err := t.tx.Rollback()
	t.conn.in.record(t.ctx, t.conn.in.rollback, start, err)
	t.tx, t.ctx = nil, nil
	return err
}

// sqlStmt is an instrumented prepared statement.
type sqlStmt struct {
	stmt    driver.Stmt
	conn    *sqlConn
	op      *opInfo
	execer  driver.StmtExecContext
	queryer driver.StmtQueryContext
	checker driver.NamedValueChecker
}

// sqlStmtConverter is a statement whose driver's statement has the
// deprecated ColumnConverter, which database/sql then uses.
type sqlStmtConverter struct {
	*sqlStmt
	cc driver.ColumnConverter //nolint:staticcheck // the driver's
}

func (s sqlStmtConverter) ColumnConverter(idx int) driver.ValueConverter {
	return s.cc.ColumnConverter(idx)
}

func newStmt(st driver.Stmt, c *sqlConn, op *opInfo) driver.Stmt {
	s := &sqlStmt{stmt: st, conn: c, op: op}
	s.execer, _ = st.(driver.StmtExecContext)
	s.queryer, _ = st.(driver.StmtQueryContext)
	s.checker, _ = st.(driver.NamedValueChecker)
	if cc, ok := st.(driver.ColumnConverter); ok { //nolint:staticcheck
		return sqlStmtConverter{sqlStmt: s, cc: cc}
	}
	return s
}

func (s *sqlStmt) Close() error  { return s.stmt.Close() }
func (s *sqlStmt) NumInput() int { return s.stmt.NumInput() }

func (s *sqlStmt) Exec(args []driver.Value) (driver.Result, error) {
	start := time.Now()
	res, err := s.stmt.Exec(args) //nolint:staticcheck // database/sql calls this only when the driver has nothing else
	s.conn.in.record(context.Background(), s.op, start, err)
	return res, err
}

func (s *sqlStmt) Query(args []driver.Value) (driver.Rows, error) {
	start := time.Now()
	rows, err := s.stmt.Query(args) //nolint:staticcheck // as Exec
	ctx := s.conn.in.record(context.Background(), s.op, start, err)
	if err != nil {
		return nil, err
	}
	return s.conn.in.wrapRows(ctx, s.op, rows), nil
}

func (s *sqlStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	var res driver.Result
	var err error
	start := time.Now()
	if s.execer != nil {
		res, err = s.execer.ExecContext(ctx, args)
	} else {
		vals, verr := legacyArgs(ctx, args)
		if verr != nil {
			return nil, verr
		}
		res, err = s.stmt.Exec(vals) //nolint:staticcheck // the driver has nothing else
	}
	s.conn.in.record(ctx, s.op, start, err)
	return res, err
}

func (s *sqlStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	var rows driver.Rows
	var err error
	start := time.Now()
	if s.queryer != nil {
		rows, err = s.queryer.QueryContext(ctx, args)
	} else {
		vals, verr := legacyArgs(ctx, args)
		if verr != nil {
			return nil, verr
		}
		rows, err = s.stmt.Query(vals) //nolint:staticcheck // the driver has nothing else
	}
	sctx := s.conn.in.record(ctx, s.op, start, err)
	if err != nil {
		return nil, err
	}
	return s.conn.in.wrapRows(sctx, s.op, rows), nil
}

// CheckNamedValue asks the driver's statement, then its connection, as
// database/sql does.
func (s *sqlStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if s.checker != nil {
		return s.checker.CheckNamedValue(nv)
	}
	return s.conn.CheckNamedValue(nv)
}
