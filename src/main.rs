//! `evidence`: the command line. It parses arguments, shows progress and
//! prints summaries; all the work is in the `pipeline` and `datasets` crates.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod cluster;
mod summary;

#[derive(Parser)]
#[command(
    name = "evidence",
    version,
    about = "Evaluate the UK's work-and-health pilots from pseudonymised referral, fit-note and employment data",
    long_about = "Evidence reads a dataset root laid out as the data contract describes (one folder of Parquet files per \
                  table), validates it, estimates each programme's effect on being in work 6 months later against \
                  matched comparison areas, and writes an evidence root of Parquet tables."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a synthetic dataset root with known (planted) programme effects.
    ///
    /// The areas and programmes are the published ones (datasets/reference/); people, referrals, fit notes and
    /// monthly employment are simulated, with selection into programmes on age, deprivation, condition and
    /// baseline status. The true effects are written to <OUT>/_planted.json. A handful of invalid rows are
    /// included on purpose so that quarantine is exercised.
    Generate {
        /// Folder to write the dataset root into (created if absent).
        #[arg(long)]
        out: PathBuf,
        /// Number of people to simulate.
        #[arg(long, default_value_t = 100_000)]
        people: u64,
        /// Random seed; the same seed and size give the same dataset.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
    },
    /// Evaluate a dataset root and publish an evidence root.
    ///
    /// Reads every table under --data, checks schemas (a missing or mistyped required column stops the run with
    /// the table, file and column named), quarantines invalid rows to <OUT>/quarantine/<table>.parquet, computes
    /// programme_outcomes, site_outcomes, subgroup_outcomes, fit_note_monthly, fit_note_did and data_quality, and
    /// writes a run.json manifest. The evidence root is replaced only when everything is written.
    Run {
        /// The dataset root: a local folder, a file:// URL or s3://bucket/prefix (S3 settings from AWS_* variables).
        #[arg(long)]
        data: String,
        /// The evidence root to write (local folder, file:// or s3://): new, empty, or an earlier evidence root to
        /// replace.
        #[arg(long)]
        out: String,
        /// Treat dates after this day (YYYY-MM-DD) as impossible; defaults to today.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Run the queries on a Ballista cluster, e.g. df://127.0.0.1:50050 (see `evidence scheduler`).
        /// Roots must then be reachable from every executor: absolute local paths on one machine, s3:// across
        /// machines.
        #[arg(long, value_name = "df://HOST:PORT")]
        ballista: Option<String>,
        /// Memory for the query engine's sorts and aggregates, in MiB; beyond it they spill to the temporary
        /// folder. Defaults to 2048.
        #[arg(long, value_name = "MIB")]
        memory_limit_mib: Option<usize>,
    },
    /// Start a Ballista scheduler (Ballista's own) with Evidence's object stores.
    Scheduler {
        /// Port for the scheduler's gRPC service.
        #[arg(long, default_value_t = 50050)]
        port: u16,
        /// Address to listen on; use 0.0.0.0 for a cluster across machines.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
    },
    /// Start a Ballista executor (Ballista's own) with Evidence's object stores.
    Executor(cluster::ExecutorOptions),
    /// Serve the dashboard over an evidence root.
    ///
    /// Pages, charts (SVG, PNG) and chart data (CSV) for commissioners and evaluators, every figure after
    /// disclosure control. The root is re-read when a new run is published to it; no restart is needed.
    Serve {
        /// The evidence root to show (local folder, file:// or s3://).
        #[arg(long)]
        evidence: String,
        /// The dataset root the evidence came from (for the analysts' SQL).
        #[arg(long)]
        data: Option<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        access: AccessOptions,
    },
    /// Manage the users who may sign in (see `evidence user add --help`).
    #[command(subcommand)]
    User(UserCommand),
    /// Run the whole job on built-in demo data: generate it if absent, evaluate it, then serve the dashboard.
    Demo {
        /// Folder for the demo's dataset root (data/) and evidence root (evidence/).
        #[arg(long, default_value = "demo")]
        dir: PathBuf,
        /// People in the demo dataset (used only when generating it).
        #[arg(long, default_value_t = 200_000)]
        people: u64,
        /// Address for the dashboard.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Stop after the evaluation instead of serving the dashboard.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (or replace one of the same name) and print their API token once, alone on the last line.
    ///
    /// Asks for a password on the terminal (twice); with standard input not a terminal, reads it from the
    /// first line there. Analysts get exact figures, SQL and record-level tables; commissioners the
    /// disclosure-controlled dashboard only.
    Add {
        name: String,
        /// `analyst` or `commissioner`.
        #[arg(long)]
        role: dashboard::auth::Role,
        /// The users file (TOML; created if absent).
        #[arg(long, default_value = "users.toml")]
        users: PathBuf,
        /// No password: the user can only use the API token.
        #[arg(long)]
        token_only: bool,
    },
}

/// Who may sign in, and the limits analysts' queries run under.
#[derive(clap::Args)]
struct AccessOptions {
    /// The users file (see `evidence user add`).
    #[arg(long, default_value = "users.toml")]
    users: PathBuf,
    /// Append every SQL query (who, when, SQL, rows, time) to this file.
    #[arg(long, default_value = "evidence-audit.jsonl")]
    audit_log: PathBuf,
    /// Cancel a query after this many seconds.
    #[arg(long, default_value_t = 30)]
    query_timeout_secs: u64,
    /// Memory all running queries share, in MiB; beyond it a query fails with a clear error.
    #[arg(long, default_value_t = 1024)]
    query_memory_mib: usize,
    /// Queries one user may run at once.
    #[arg(long, default_value_t = 2)]
    queries_per_user: usize,
    /// Rows in a JSON answer from POST /api/sql (the total is still reported).
    #[arg(long, default_value_t = 10_000)]
    json_row_cap: usize,
}

fn main() {
    let cli = Cli::parse();
    // Planning the cohort query (views over views, several joins) recurses
    // deeply, more so in debug builds; the default 2 MiB worker stack is not
    // enough for the scheduler.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(64 * 1024 * 1024)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(dispatch(cli.command)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Generate { out, people, seed } => generate(&out, people, seed),
        Command::Run {
            data,
            out,
            as_of,
            ballista,
            memory_limit_mib,
        } => {
            run(
                data,
                out,
                as_of,
                ballista,
                memory_limit_mib.map(|m| m << 20),
            )
            .await
        }
        Command::Scheduler { port, bind } => cluster::scheduler(&bind, port).await,
        Command::Executor(options) => cluster::executor(options).await,
        Command::Serve {
            evidence,
            data,
            addr,
            access,
        } => serve(&evidence, data.as_deref(), addr, &access).await,
        Command::User(UserCommand::Add {
            name,
            role,
            users,
            token_only,
        }) => add_user(&name, role, &users, token_only),
        Command::Demo {
            dir,
            people,
            addr,
            no_serve,
        } => {
            let data = dir.join("data");
            if data.join("_planted.json").is_file() {
                eprintln!("Using the demo dataset in {}", data.display());
            } else {
                generate(&data, people, 2024)?;
            }
            let evidence = path_arg(&dir.join("evidence"))?;
            let data = path_arg(&data)?;
            run(data.clone(), evidence.clone(), None, None, None).await?;
            if no_serve {
                return Ok(());
            }
            let users = dir.join("users.toml");
            demo_users(&users)?;
            let access = AccessOptions {
                users,
                audit_log: dir.join("audit.jsonl"),
                query_timeout_secs: 30,
                query_memory_mib: 1024,
                queries_per_user: 2,
                json_row_cap: 10_000,
            };
            serve(&evidence, Some(&data), addr, &access).await
        }
    }
}

fn path_arg(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_string)
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}

struct GenerateBar(ProgressBar);

impl datasets::GenerateProgress for GenerateBar {
    fn people_done(&self, done: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
    }
}

fn generate(out: &Path, people: u64, seed: u64) -> Result<()> {
    let bar = ProgressBar::new(people).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} people ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("Generating");
    let planted = datasets::generate(
        &datasets::GenerateOptions {
            out: out.to_path_buf(),
            people,
            seed,
        },
        &GenerateBar(bar.clone()),
    )
    .with_context(|| format!("generating a dataset in {}", out.display()))?;
    bar.finish_and_clear();
    println!(
        "Synthetic dataset of {} people written to {}",
        planted.people,
        out.display()
    );
    println!("Planted effects: {}", out.join("_planted.json").display());
    for (programme, p) in &planted.programmes {
        println!(
            "  {programme:<32} in-work uplift {:+.3}   fit-note DiD {:+.4}   participants {}",
            p.in_work_6m_uplift, p.fit_note_did, p.participants
        );
    }
    Ok(())
}

struct RunSpinner(ProgressBar);

impl pipeline::Progress for RunSpinner {
    fn step(&self, index: usize, total: usize, message: &str) {
        self.0.set_message(format!("[{index}/{total}] {message}"));
    }
}

async fn run(
    data: String,
    out: String,
    as_of: Option<NaiveDate>,
    ballista: Option<String>,
    memory_limit: Option<usize>,
) -> Result<()> {
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let options = pipeline::RunOptions {
        data: data.clone(),
        out: out.clone(),
        as_of,
        ballista,
        memory_limit,
    };
    let report = pipeline::run(&options, &RunSpinner(spinner.clone())).await;
    spinner.finish_and_clear();
    let report = report.with_context(|| format!("evaluating {data}"))?;
    print!("{}", summary::render(&report));
    Ok(())
}

/// The demo's two users, with passwords anyone may read: it is demo data.
const DEMO_USERS: [(&str, dashboard::auth::Role, &str); 2] = [
    ("analyst", dashboard::auth::Role::Analyst, "demo-analyst"),
    (
        "commissioner",
        dashboard::auth::Role::Commissioner,
        "demo-commissioner",
    ),
];

fn demo_users(path: &Path) -> Result<()> {
    let mut file = dashboard::auth::UsersFile::load_or_new(path)?;
    for (name, role, password) in DEMO_USERS {
        if file.verify_password(name, password).is_none() {
            file.add(name, role, Some(password))?;
        }
    }
    file.save(path)?;
    println!("Sign in to the demo dashboard as:");
    for (name, role, password) in DEMO_USERS {
        println!("  {name:<13} password {password:<18} ({})", role.as_str());
    }
    println!(
        "(API tokens: `evidence user add NAME --role ROLE --users {}`)",
        path.display()
    );
    Ok(())
}

fn add_user(name: &str, role: dashboard::auth::Role, users: &Path, token_only: bool) -> Result<()> {
    use std::io::IsTerminal;
    let password = if token_only {
        None
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(
            first == again,
            "the two passwords differ; nothing was changed"
        );
        Some(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    };
    if let Some(p) = &password {
        anyhow::ensure!(
            p.chars().count() >= 8,
            "the password is shorter than 8 characters; nothing was changed"
        );
    }
    let mut file = dashboard::auth::UsersFile::load_or_new(users)?;
    let token = file.add(name, role, password.as_deref())?;
    file.save(users)?;
    println!(
        "Added {name} ({}) to {}. Their API token, shown only this once:",
        role.as_str(),
        users.display()
    );
    println!("{token}");
    Ok(())
}

async fn serve(
    evidence: &str,
    data: Option<&str>,
    addr: SocketAddr,
    access: &AccessOptions,
) -> Result<()> {
    cluster::init_logging();
    let evidence_root = pipeline::load::Root::parse(evidence)?;
    let data_root = data.map(pipeline::load::Root::parse).transpose()?;
    let users = if access.users.exists() {
        dashboard::auth::UsersFile::load(&access.users)?
    } else {
        eprintln!(
            "warning: no users file at {}: nobody can sign in. Add users with `evidence user add NAME --role ROLE --users {}`.",
            access.users.display(),
            access.users.display()
        );
        dashboard::auth::UsersFile::default()
    };
    let audit = dashboard::analysts::audit::AuditLog::open(access.audit_log.clone())
        .with_context(|| format!("opening the audit log {}", access.audit_log.display()))?;
    let state = dashboard::AppState::new(dashboard::Config {
        evidence: evidence_root,
        data: data_root,
        users,
        limits: dashboard::analysts::engine::QueryLimits {
            timeout: Duration::from_secs(access.query_timeout_secs),
            memory: access.query_memory_mib << 20,
            per_user: access.queries_per_user.max(1),
            json_rows: access.json_row_cap,
        },
        audit,
    })
    .await?;
    if let Err(e) = state.published().await {
        eprintln!(
            "warning: {e}\nThe dashboard will show this on every page until the evidence root is readable."
        );
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("listening on {addr}: is another server using that port? Try --addr")
    })?;
    let local = listener.local_addr()?;
    println!("Dashboard for {evidence}: http://{local}/  (Ctrl-C to stop)");
    dashboard::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving the dashboard")
}
