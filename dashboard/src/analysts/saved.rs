//! Saved queries: SQL with `:name` parameters that any analyst can reopen
//! from its link (`/workbench?saved=<id>&name=value`), as Datasette's
//! canned queries; kept in a JSON file beside the audit log (`evidence
//! serve --saved-queries`), rewritten whole through a temporary file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedQuery {
    pub id: String,
    pub name: String,
    pub sql: String,
    pub author: String,
    pub saved_at: String,
}

pub struct SavedQueries {
    path: Option<PathBuf>,
    queries: Mutex<Vec<SavedQuery>>,
}

impl SavedQueries {
    /// Queries kept in `path` (read now if it exists).
    pub fn open(path: PathBuf) -> Result<Self, String> {
        let queries = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{}: not a saved-queries file ({e}); move it aside to start afresh",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Ok(SavedQueries {
            path: Some(path),
            queries: Mutex::new(queries),
        })
    }

    /// Queries kept only while the server runs (tests).
    pub fn in_memory() -> Self {
        SavedQueries {
            path: None,
            queries: Mutex::new(Vec::new()),
        }
    }

    pub fn all(&self) -> Vec<SavedQuery> {
        self.queries.lock().map(|q| q.clone()).unwrap_or_default()
    }

    pub fn get(&self, id: &str) -> Option<SavedQuery> {
        self.all().into_iter().find(|q| q.id == id)
    }

    /// Save `sql` as `name`; its id is the name's slug, numbered if taken.
    /// At most [`MOST_SAVED`] queries are kept, each name at most
    /// [`MOST_NAME_CHARS`] characters and its SQL at most [`MOST_SQL_BYTES`]
    /// (the file is rewritten whole on each save).
    pub fn save(&self, name: &str, sql: &str, author: &str) -> Result<SavedQuery, String> {
        let name = name.trim();
        if name.is_empty() || sql.trim().is_empty() {
            return Err("give the query a name and some SQL to save".into());
        }
        if name.chars().count() > MOST_NAME_CHARS || sql.len() > MOST_SQL_BYTES {
            return Err(format!(
                "a saved query's name may have {MOST_NAME_CHARS} characters and its SQL {} KiB at most",
                MOST_SQL_BYTES >> 10
            ));
        }
        let mut queries = self
            .queries
            .lock()
            .map_err(|_| "saved queries unavailable")?;
        let base = crate::presentation::slug(name);
        let base = if base.is_empty() {
            "query".to_string()
        } else {
            base
        };
        if queries.len() >= MOST_SAVED {
            return Err(format!(
                "{MOST_SAVED} queries are saved already, as many as are kept"
            ));
        }
        let mut id = base.clone();
        let mut n = 2;
        while queries.iter().any(|q| q.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let query = SavedQuery {
            id,
            name: name.to_string(),
            sql: sql.trim().to_string(),
            author: author.to_string(),
            saved_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        };
        queries.push(query.clone());
        if let Some(path) = &self.path {
            let json = serde_json::to_vec_pretty(&*queries).map_err(|e| e.to_string())?;
            let temporary = path.with_extension("json.tmp");
            std::fs::write(&temporary, json)
                .and_then(|_| std::fs::rename(&temporary, path))
                .map_err(|e| format!("saving to {}: {e}", path.display()))?;
        }
        Ok(query)
    }
}

/// The most saved queries kept, and the longest name and SQL one may have.
pub const MOST_SAVED: usize = 500;
pub const MOST_NAME_CHARS: usize = 200;
pub const MOST_SQL_BYTES: usize = 64 << 10;

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// A `:name` parameter where the SQL tokenizer (DataFusion's own) finds
/// one: a `:` immediately followed by an unquoted word, never inside a
/// string (`'…'`, `E'…'`, `$$…$$`), a quoted identifier (`"…"`, `` `…` ``)
/// or a comment (`--`, `/* */`), which are single tokens to it.
struct Parameter {
    name: String,
    /// Char offsets of the `:` and one past the name's end.
    start: usize,
    end: usize,
}

fn tokens(sql: &str) -> Result<Vec<TokenWithSpan>, String> {
    Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| format!("the SQL cannot be read: {e}"))
}

/// Each `:name` of `sql`, in order; an error where the SQL cannot be read.
fn parameters_of(sql: &str) -> Result<Vec<Parameter>, String> {
    // Char offset of each line's start, for the tokenizer's (line, column).
    let mut line_starts = vec![0usize];
    for (i, c) in sql.chars().enumerate() {
        if c == '\n' {
            line_starts.push(i + 1);
        }
    }
    let offset = |t: &TokenWithSpan| {
        let line = (t.span.start.line as usize).max(1) - 1;
        line_starts.get(line).copied().unwrap_or(0) + (t.span.start.column as usize).max(1) - 1
    };
    let tokens = tokens(sql)?;
    let mut found = Vec::new();
    for pair in tokens.windows(2) {
        if let (Token::Colon, Token::Word(word)) = (&pair[0].token, &pair[1].token)
            && word.quote_style.is_none()
            && offset(&pair[1]) == offset(&pair[0]) + 1
        {
            let start = offset(&pair[0]);
            found.push(Parameter {
                name: word.value.clone(),
                start,
                end: start + 1 + word.value.chars().count(),
            });
        }
    }
    Ok(found)
}

/// The `:name` parameters of `sql` in order of first use.
pub fn parameters(sql: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in parameters_of(sql).unwrap_or_default() {
        if !names.contains(&p.name) {
            names.push(p.name);
        }
    }
    names
}

/// A value as an SQL literal: a number (digits, an optional sign and
/// decimal point) in parentheses, so that `100-:n` with `n = -5` is
/// `100-(-5)` and never a comment; anything else a string with its quotes
/// doubled.
fn literal(value: &str) -> String {
    let v = value.trim();
    let digits = v.strip_prefix('-').unwrap_or(v);
    let number = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if number {
        format!("({v})")
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// The tokens that are not whitespace or comments.
fn significant(tokens: Vec<TokenWithSpan>) -> Vec<Token> {
    tokens
        .into_iter()
        .map(|t| t.token)
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect()
}

/// `sql` with every `:name` replaced by its value as an SQL literal. The
/// result is checked with the tokenizer: it must be the SQL as written with
/// each parameter turned into exactly its literal's tokens, so a value can
/// never become SQL (an error says which value could not be used). An error
/// also names a parameter with no value.
pub fn bind(sql: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let found = parameters_of(sql)?;
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    let mut expected: Vec<Token> = Vec::new();
    let mut written = significant(tokens(sql)?).into_iter().peekable();
    for p in &found {
        let value = values
            .get(&p.name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                format!(
                    "the parameter :{} has no value: fill it in and run again",
                    p.name
                )
            })?;
        out.extend(&chars[at..p.start]);
        let text = literal(value);
        out.push_str(&text);
        at = p.end;
        // The SQL's own tokens up to this parameter, then the literal's.
        while let Some(t) = written.next() {
            if t == Token::Colon
                && matches!(written.peek(), Some(Token::Word(w)) if w.value == p.name)
            {
                written.next();
                break;
            }
            expected.push(t);
        }
        expected.extend(significant(tokens(&text)?));
    }
    out.extend(&chars[at..]);
    expected.extend(written);
    let bound = significant(tokens(&out)?);
    if bound != expected {
        return Err(
            "a parameter's value could not be bound without changing the SQL around it: check the values (and that each :name stands where a value may)".into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_skip_quotes_comments_and_casts() {
        let sql = "SELECT ':no', \":nor\" FROM t -- :not in a comment\nWHERE a = :programme /* :nor here */ AND b > :min::int AND c = :programme";
        assert_eq!(parameters(sql), ["programme", "min"]);
        assert!(parameters("SELECT 1::bigint").is_empty());
        assert!(parameters("SELECT E'\\' :x', $$ :y $$, `:z`").is_empty());
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_become_literals_and_never_sql() {
        let v = values(&[("programme", "O'Brien'; DROP TABLE x; --"), ("min", "10")]);
        let bound = bind("SELECT * FROM t WHERE p = :programme AND n > :min", &v).unwrap();
        assert_eq!(
            bound,
            "SELECT * FROM t WHERE p = 'O''Brien''; DROP TABLE x; --' AND n > (10)"
        );
        let e = bind("SELECT :missing", &v).unwrap_err();
        assert!(e.contains(":missing"), "{e}");
    }

    /// Each way the earlier character scanner let a value become SQL
    /// (issue 28, hole 4).
    #[test]
    fn the_attacks_on_the_old_scanner_fail() {
        // A `:name` in a comment is no parameter: a value with a newline
        // cannot end the comment and add SQL.
        let v = values(&[("p", "x\nUNION SELECT person_id FROM people"), ("q", "1")]);
        assert_eq!(
            bind("SELECT 1 -- :p\n, :q", &v).unwrap(),
            "SELECT 1 -- :p\n, (1)"
        );
        // An apostrophe in a comment does not throw the quoting off.
        let v = values(&[("p", "it")]);
        assert_eq!(
            bind("SELECT 1 -- it's\n, :p", &v).unwrap(),
            "SELECT 1 -- it's\n, 'it'"
        );
        // A negative number after a minus is not a comment.
        let v = values(&[("n", "-5")]);
        assert_eq!(
            bind("SELECT 100-:n AS x", &v).unwrap(),
            "SELECT 100-(-5) AS x"
        );
        // A value against a quote of the SQL cannot merge with it.
        let v = values(&[("p", "x")]);
        assert!(bind("SELECT :p'abc'", &v).is_err());
        // E'' strings, $$ quoting and backticks hold no parameters.
        for sql in ["SELECT E'\\' :p'", "SELECT $$ :p $$", "SELECT `:p`"] {
            assert!(parameters(sql).is_empty(), "{sql}");
            assert_eq!(bind(sql, &v).unwrap(), sql);
        }
        // Quotes and backslashes inside a value stay inside its string.
        let v = values(&[("p", "a\\' OR 1=1 --")]);
        let bound = bind("SELECT * FROM t WHERE a = :p", &v);
        match bound {
            Ok(b) => {
                let t = significant(tokens(&b).unwrap());
                assert_eq!(t.len(), 8, "{b}: {t:?}");
            }
            Err(e) => assert!(e.contains("could not be bound"), "{e}"),
        }
    }

    #[test]
    fn saved_queries_get_unique_ids_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved.json");
        let store = SavedQueries::open(path.clone()).unwrap();
        let a = store.save("Sites by rate", "SELECT 1", "ana").unwrap();
        let b = store.save("Sites by rate", "SELECT 2", "ana").unwrap();
        assert_eq!(
            (a.id.as_str(), b.id.as_str()),
            ("sites-by-rate", "sites-by-rate-2")
        );
        let reopened = SavedQueries::open(path).unwrap();
        assert_eq!(reopened.get("sites-by-rate-2").unwrap().sql, "SELECT 2");
        assert!(store.save(" ", "SELECT 1", "ana").is_err());
        // Bounded: in size and in number.
        assert!(store.save(&"n".repeat(201), "SELECT 1", "ana").is_err());
        assert!(store.save("big", &"x".repeat(65 << 10), "ana").is_err());
        let memory = SavedQueries::in_memory();
        for i in 0..MOST_SAVED {
            memory.save(&format!("q{i}"), "SELECT 1", "ana").unwrap();
        }
        let e = memory.save("one more", "SELECT 1", "ana").unwrap_err();
        assert!(e.contains("as many as are kept"), "{e}");
    }
}
