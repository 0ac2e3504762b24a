//! The audit log: one JSON line per query — who, when, the SQL, rows, time,
//! outcome. Appended, never rewritten.

use crate::auth::User;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AuditLog {
    file: Option<Arc<Mutex<std::fs::File>>>,
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

impl AuditLog {
    /// Append to `path` (created if absent).
    pub fn open(path: PathBuf) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(AuditLog {
            file: Some(Arc::new(Mutex::new(file))),
        })
    }

    /// A log that goes only to the tracing output (tests of other things).
    pub fn tracing_only() -> Self {
        AuditLog { file: None }
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
