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
    pub fn save(&self, name: &str, sql: &str, author: &str) -> Result<SavedQuery, String> {
        let name = name.trim();
        if name.is_empty() || sql.trim().is_empty() {
            return Err("give the query a name and some SQL to save".into());
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

/// A piece of SQL: text as written, or a `:name` parameter.
enum Piece {
    Text(char),
    Parameter(String),
}

/// `sql` split into text and `:name` parameters, skipping quoted text and
/// identifiers and `::` casts.
fn pieces(sql: &str) -> Vec<Piece> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == ':'
                && (i == 0 || chars[i - 1] != ':')
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_') =>
            {
                let end = (i + 1..chars.len())
                    .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '_'))
                    .unwrap_or(chars.len());
                out.push(Piece::Parameter(chars[i + 1..end].iter().collect()));
                i = end;
                continue;
            }
            None => {}
        }
        out.push(Piece::Text(c));
        i += 1;
    }
    out
}

/// The `:name` parameters of `sql` in order of first use.
pub fn parameters(sql: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for piece in pieces(sql) {
        if let Piece::Parameter(name) = piece
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// `sql` with every `:name` replaced by its value as an SQL literal: a
/// number as written, anything else a string with its quotes doubled (so
/// a value can never become SQL). An error names a parameter with no value.
pub fn bind(sql: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let number = |v: &str| {
        v.parse::<f64>().is_ok()
            && v.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    };
    let mut out = String::with_capacity(sql.len());
    for piece in pieces(sql) {
        match piece {
            Piece::Text(c) => out.push(c),
            Piece::Parameter(name) => {
                let value = values.get(&name).filter(|v| !v.is_empty()).ok_or_else(|| {
                    format!("the parameter :{name} has no value: fill it in and run again")
                })?;
                if number(value.trim()) {
                    out.push_str(value.trim());
                } else {
                    out.push('\'');
                    out.push_str(&value.replace('\'', "''"));
                    out.push('\'');
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_skip_quotes_and_casts() {
        let sql = "SELECT ':no', \":nor\" FROM t WHERE a = :programme AND b > :min::int AND c = :programme";
        assert_eq!(parameters(sql), ["programme", "min"]);
        assert!(parameters("SELECT 1::bigint").is_empty());
    }

    #[test]
    fn values_become_literals_and_never_sql() {
        let values: BTreeMap<String, String> = [
            (
                "programme".to_string(),
                "O'Brien'; DROP TABLE x; --".to_string(),
            ),
            ("min".to_string(), "10".to_string()),
        ]
        .into();
        let bound = bind("SELECT * FROM t WHERE p = :programme AND n > :min", &values).unwrap();
        assert_eq!(
            bound,
            "SELECT * FROM t WHERE p = 'O''Brien''; DROP TABLE x; --' AND n > 10"
        );
        let e = bind("SELECT :missing", &values).unwrap_err();
        assert!(e.contains(":missing"), "{e}");
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
    }
}
