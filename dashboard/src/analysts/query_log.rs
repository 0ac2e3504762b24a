//! The audit log: one JSON line per query — who, when, the SQL, rows, time,
//! outcome. Appended, never rewritten.

use crate::auth::User;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AuditLog {
    file: Option<Arc<Mutex<std::fs::File>>>,
    path: Option<PathBuf>,
}

/// One query of a user's history, as the audit log recorded its end.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HistoryItem {
    pub at: String,
    pub user: String,
    pub form: String,
    pub sql: String,
    pub rows: Option<u64>,
    pub ms: u64,
    pub outcome: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRecord {
    pub at: String,
    pub user: String,
    pub role: &'static str,
    pub form: String,
    pub sql: String,
    pub rows: Option<u64>,
    pub ms: u64,
    pub outcome: String,
    pub error: Option<String>,
}

impl AuditRecord {
    pub fn new(user: &User, sql: &str, form: &str) -> Self {
        AuditRecord {
            at: chrono::Utc::now().to_rfc3339(),
            user: user.name.clone(),
            role: user.role.as_str(),
            form: form.to_string(),
            sql: sql.to_string(),
            rows: None,
            ms: 0,
            outcome: "started".into(),
            error: None,
        }
    }
}

/// How much of the end of the audit log a user's history is read from.
pub const HISTORY_TAIL_BYTES: u64 = 1 << 20;

/// The last `bytes` of the file at `path`, from the first whole line.
fn tail(path: &std::path::Path, bytes: u64) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    let start = length.saturating_sub(bytes);
    file.seek(SeekFrom::Start(start))?;
    let mut buffer = Vec::new();
    file.take(bytes).read_to_end(&mut buffer)?;
    let text = String::from_utf8_lossy(&buffer).into_owned();
    Ok(if start > 0 {
        text.split_once('\n')
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    } else {
        text
    })
}

impl AuditLog {
    /// Append to `path` (created if absent).
    pub fn open(path: PathBuf) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(AuditLog {
            file: Some(Arc::new(Mutex::new(file))),
            path: Some(path),
        })
    }

    /// A log that goes only to the tracing output (tests of other things).
    pub fn tracing_only() -> Self {
        AuditLog {
            file: None,
            path: None,
        }
    }

    /// `user`'s own most recent queries, newest first, each SQL once: read
    /// back from the log, so the history is what was audited. Nobody else's
    /// queries are ever returned.
    pub fn history(&self, user: &str, most: usize) -> Vec<HistoryItem> {
        let Some(path) = &self.path else {
            return Vec::new();
        };
        // Only the log's last [`HISTORY_TAIL_BYTES`]: the log grows for
        // ever, and each workbench view reads this.
        let Ok(text) = tail(path, HISTORY_TAIL_BYTES) else {
            return Vec::new();
        };
        let mut seen = std::collections::HashSet::new();
        text.lines()
            .rev()
            .filter_map(|line| serde_json::from_str::<HistoryItem>(line).ok())
            .filter(|item| item.user == user && item.outcome != "started")
            .filter(|item| seen.insert(item.sql.clone()))
            .take(most)
            .collect()
    }

    pub fn write(&self, record: &AuditRecord) {
        let Ok(mut line) = serde_json::to_string(record) else {
            return;
        };
        tracing::info!(target: "evidence::audit", "{line}");
        line.push('\n');
        if let Some(file) = &self.file
            && let Ok(mut f) = file.lock()
            && let Err(e) = f.write_all(line.as_bytes()).and_then(|_| f.flush())
        {
            tracing::error!("writing the audit log: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Role, User};

    fn finished(log: &AuditLog, name: &str, sql: &str) {
        let user = User {
            name: name.into(),
            role: Role::Analyst,
        };
        let mut record = AuditRecord::new(&user, sql, "workbench");
        record.outcome = "ok".into();
        record.rows = Some(1);
        log.write(&record);
    }

    #[test]
    fn history_holds_only_the_users_own_queries_newest_first_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
        finished(&log, "ana", "SELECT 1");
        finished(&log, "bob", "SELECT 'bob only'");
        finished(&log, "ana", "SELECT 2");
        finished(&log, "ana", "SELECT 1");
        let ana: Vec<String> = log.history("ana", 10).into_iter().map(|h| h.sql).collect();
        assert_eq!(ana, ["SELECT 1", "SELECT 2"]);
        let bob: Vec<String> = log.history("bob", 10).into_iter().map(|h| h.sql).collect();
        assert_eq!(bob, ["SELECT 'bob only'"]);
        assert_eq!(log.history("ana", 1).len(), 1);
        assert!(AuditLog::tracing_only().history("ana", 10).is_empty());
    }

    /// The history reads only the log's last MiB, from a whole line: a log
    /// of any size costs a workbench view the same (issue 28, hole 6).
    #[test]
    fn history_reads_only_the_end_of_a_long_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
        finished(&log, "ana", "SELECT 'long ago'");
        let filler = format!("SELECT '{}'", "x".repeat(10_000));
        for _ in 0..(HISTORY_TAIL_BYTES as usize / 10_000 + 10) {
            finished(&log, "bob", &filler);
        }
        finished(&log, "ana", "SELECT 'lately'");
        let ana: Vec<String> = log.history("ana", 10).into_iter().map(|h| h.sql).collect();
        assert_eq!(ana, ["SELECT 'lately'"], "the old query is beyond the tail");
    }
}
