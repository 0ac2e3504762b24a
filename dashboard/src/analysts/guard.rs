//! The read-only guard: decided on the parsed statement (DataFusion's own
//! parser), never by matching strings. Only queries pass: `SELECT`, `WITH`,
//! set operations, `VALUES`, `EXPLAIN` of a query, `SHOW TABLES` / `SHOW
//! COLUMNS` and `DESCRIBE`.

use datafusion::sql::parser::{DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{Statement, visit_statements};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use std::ops::ControlFlow;

/// Why a statement was refused, in words for the analyst.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Check `sql` is exactly one read-only statement.
pub fn check(sql: &str) -> Result<(), Refused> {
    let statements = DFParserBuilder::new(sql)
        .with_dialect(&GenericDialect {})
        .build()
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| Refused(format!("The SQL does not parse: {e}")))?;
    match statements.len() {
        0 => return Err(Refused("There is no statement to run.".into())),
        1 => {}
        n => {
            return Err(Refused(format!(
                "Send one statement at a time; this has {n}."
            )));
        }
    }
    check_statement(&statements[0])
}

fn check_statement(statement: &DFStatement) -> Result<(), Refused> {
    match statement {
        DFStatement::Statement(s) => check_sql(s),
        DFStatement::Explain(explain) => check_statement(&explain.statement),
        DFStatement::CreateExternalTable(_) => Err(Refused(
            "CREATE EXTERNAL TABLE is refused: it would read files outside the registered tables. Query the tables listed beside the editor.".into(),
        )),
        DFStatement::CopyTo(_) => Err(Refused(
            "COPY is refused: it writes files. Use the CSV, Parquet or JSON download instead.".into(),
        )),
        #[allow(unreachable_patterns)]
        _ => Err(Refused("Only queries are allowed.".into())),
    }
}

fn check_sql(statement: &Statement) -> Result<(), Refused> {
    match statement {
        // A query's body or a CTE can itself be a statement (`WITH a AS (…)
        // INSERT INTO …` parses as a query): refuse anything but a query at
        // any depth.
        Statement::Query(_) => refuse_nested(statement),
        Statement::Explain { statement, .. } => check_sql(statement),
        Statement::ExplainTable { .. } | Statement::ShowTables { .. } | Statement::ShowColumns { .. } => {
            Ok(())
        }
        Statement::Set(_) | Statement::ShowVariable { .. } => Err(Refused(
            "SET and SHOW of settings are refused: session settings are fixed for everyone.".into(),
        )),
        Statement::Copy { .. } => Err(Refused(
            "COPY is refused: it reads or writes files.".into(),
        )),
        Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) | Statement::Merge { .. } | Statement::Truncate { .. } => Err(Refused(
            "Changing data (INSERT, UPDATE, DELETE, MERGE, TRUNCATE) is refused: the tables are read-only.".into(),
        )),
        other => {
            let keyword = other
                .to_string()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase();
            Err(Refused(format!(
                "{keyword} is refused: only queries (SELECT, WITH, EXPLAIN, SHOW TABLES, DESCRIBE) may run here."
            )))
        }
    }
}

/// The first statement inside `statement`, at any depth, that is not a
/// query.
fn refuse_nested(statement: &Statement) -> Result<(), Refused> {
    let found = visit_statements(statement, |s| match s {
        Statement::Query(_) => ControlFlow::Continue(()),
        other => ControlFlow::Break(
            other
                .to_string()
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_uppercase(),
        ),
    });
    match found {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(keyword) => Err(Refused(format!(
            "Changing data is refused, also inside a query ({keyword} …): the tables are read-only."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_pass() {
        for sql in [
            "SELECT 1",
            "select * from programme_outcomes where programme = 'WorkWell'",
            "WITH a AS (SELECT 1 AS x) SELECT x FROM a",
            "SELECT 1 UNION ALL SELECT 2",
            "EXPLAIN SELECT * FROM site_outcomes",
            "EXPLAIN ANALYZE SELECT 1",
            "SHOW TABLES",
            "SHOW COLUMNS FROM people",
            "DESCRIBE people",
            "SELECT 'DROP TABLE people' AS not_a_statement",
            "VALUES (1), (2)",
        ] {
            assert_eq!(check(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        for (sql, reason) in [
            ("CREATE TABLE t AS SELECT 1", "CREATE TABLE"),
            ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
            ("DROP TABLE people", "DROP TABLE"),
            ("INSERT INTO people VALUES ('x')", "Changing data"),
            ("DELETE FROM people", "Changing data"),
            ("UPDATE people SET sex = 'x'", "Changing data"),
            (
                "WITH a AS (SELECT 1 AS x) INSERT INTO people SELECT * FROM a",
                "Changing data",
            ),
            ("WITH a AS (SELECT 1) DELETE FROM people", "Changing data"),
            (
                "SELECT * FROM (WITH a AS (SELECT 1) INSERT INTO people SELECT * FROM a) q",
                "",
            ),
            ("COPY people TO '/tmp/x.csv'", "COPY"),
            (
                "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
                "CREATE EXTERNAL TABLE",
            ),
            ("SET datafusion.execution.batch_size = 1", "SET"),
            ("EXPLAIN COPY people TO '/tmp/x'", "COPY"),
            ("EXPLAIN DROP TABLE people", "DROP TABLE"),
            ("SELECT 1; DROP TABLE people", "one statement"),
            ("", "no statement"),
            ("SELEC 1", "does not parse"),
        ] {
            let refused = check(sql).expect_err(sql);
            assert!(refused.0.contains(reason), "{sql}: {refused}");
        }
    }
}
