//! `evidence`: the command line. It parses arguments and calls one module
//! per subcommand (`commands/`), which show progress and print summaries;
//! all the work is in the `pipeline`, `datasets` and `dashboard` crates.

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use commands::serve::AccessOptions;
use std::net::SocketAddr;
use std::path::PathBuf;

mod cluster;
mod commands;
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
    /// baseline status. The true effects are written to <OUT>/_planted.json (and each participant's to
    /// <OUT>/_planted_participants.parquet). A handful of invalid rows are
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
        /// Standard deviation of each area's shock to the chance of being in work, as a proportion (0.03 = 3
        /// percentage points); each area's may-be-fit share also gets a shock every month with half this
        /// standard deviation. 0 for none.
        #[arg(long, default_value_t = datasets::DEFAULT_AREA_SD)]
        area_sd: f64,
        /// The difficulties a real comparison faces to plant: `all`, `none`, or a comma-separated list of `dip`
        /// (people out of work were often in work in the year before, and are referred and return more),
        /// `trend` (the chance of being in work rises month by month), `regional` (regions differ in
        /// employment and programmes run in the weaker ones), `hidden` (an unobserved trait raises both
        /// referral and work: a bias no matching removes) and `co-enrolment` (a tenth of the participants
        /// who could be are also referred to a second programme the same day).
        #[arg(long, default_value = "all", value_parser = datasets::Difficulties::parse)]
        difficulties: datasets::Difficulties,
        /// Plant one outlier site: `AREA_ID` or `AREA_ID:UPLIFT`. Its participants (of every programme the area
        /// runs) get an extra chance of being in work 6 months on, 0.15 (15 points) unless given; every other
        /// site differs from its programme only by its area's shock and chance (the funnel plots' outlier
        /// study, VALIDATION.md).
        #[arg(long)]
        outlier_site: Option<datasets::OutlierSite>,
        /// How much lower (negative) or higher every programme area's chance of being in work is than the
        /// comparison areas', beyond the regions' levels, as a proportion (-0.03 = 3 points lower): a
        /// systematic difference no stratum holds (the coverage study of VALIDATION.md §1).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        region_gap: f64,
        /// How fast programme areas drift from comparison areas, per year, as a proportion (-0.02 = 2 points
        /// a year apart), from the window's middle month.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        region_trend: f64,
        /// Multiply every planted programme effect (in work, education, earnings, the fit-note lift) by this:
        /// 0 plants none, for a size study of the p-values (VALIDATION.md). An outlier site's extra is not scaled.
        #[arg(long, default_value_t = 1.0)]
        effect_scale: f64,
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
        /// Disk the query engine may spill to in the temporary folder (TMPDIR), in MiB; a run that needs more
        /// stops with an error instead of filling the disk (0 allows no spilling at all). Defaults to 16384.
        #[arg(long, value_name = "MIB")]
        spill_limit_mib: Option<u64>,
    },
    /// The fit-note effect from the published statistics alone (no records needed).
    ///
    /// Reads the CSV files of NHS England's *Fit Notes Issued by GP Practices, England* downloaded into
    /// --published (sub-ICB location by month, as CONTRACT.md's "Published fit-note statistics" lays out), takes
    /// each month from the latest release, sums sub-ICB locations into the pilots' areas and writes the fit-note
    /// tables (fit_note_monthly, fit_note_did, fit_note_group_time, fit_note_event_study, fit_note_areas,
    /// fit_note_trend) to --out, which `evidence serve` shows on its fit-notes page.
    FitNotes {
        /// The folder the release CSV files were downloaded into (names as published, e.g.
        /// gp-fit-note-eng-csv-sicbl-dec-25.csv).
        #[arg(long, value_name = "FOLDER")]
        published: PathBuf,
        /// The evidence root to write (local folder, file:// or s3://).
        #[arg(long)]
        out: String,
    },
    /// Write a fixture in the published fit-note statistics' layout with planted lifts.
    ///
    /// Two releases of every sub-ICB location's notes by month, fitness for work, diagnosis and duration, counts
    /// of 1 to 4 shown as `*`, the later release revising the earlier's last months; the effects the staggered
    /// difference in differences should recover are in <OUT>/_planted.json.
    GenerateFitNotes {
        /// Folder to write the release files into (created if absent).
        #[arg(long)]
        out: PathBuf,
        /// Random seed; the same seed gives the same files.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Each sub-ICB location-month's shock to the may-be-fit chance has half this standard deviation.
        #[arg(long, default_value_t = datasets::DEFAULT_AREA_SD)]
        area_sd: f64,
        /// Multiply every planted lift by this (0 plants none).
        #[arg(long, default_value_t = 1.0)]
        effect_scale: f64,
        /// Notes per location and month are about 400 to 3,000 times this.
        #[arg(long, default_value_t = 1.0)]
        size: f64,
    },
    /// Start a Ballista scheduler (Ballista's own) with Evidence's object stores.
    Scheduler {
        /// Port for the scheduler's gRPC service.
        #[arg(long, default_value_t = 50050)]
        port: u16,
        /// Address to listen on; use 0.0.0.0 for a cluster across machines.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Seconds a finished query's results stay on the executors' disks
        /// before they are deleted (Ballista's default 300). A run is many
        /// queries in a row: at 1M people their kept results fill tens of
        /// GB within 300 s (BENCHMARKS.md), so keep it short on small disks.
        /// At least 1: Ballista reads 0 as "never delete them".
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
        job_data_ttl_seconds: u64,
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
    /// Check disclosure control as an attacker would: for every exact row with counts, count the exact
    /// counts consistent with everything commissioners can download (every API table, every chart's CSV and
    /// caption); fails if any row's counts can be worked back.
    DisclosureAudit {
        /// The evidence root to audit (local folder, file:// or s3://).
        #[arg(long)]
        evidence: String,
        /// Audit only these exact tables (repeatable); all of them by default.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(dashboard::disclosure_audit::TABLES))]
        table: Vec<String>,
        /// Instead, count the effects whose significance mark differs between the exact interval and the one
        /// published from rounded counts (programmes, subgroups, every outcome).
        #[arg(long)]
        flips: bool,
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
    let result = runtime.block_on(dispatch(cli.command));
    // Shut the runtime down before exiting: after a failed query, tasks
    // still queued on it hold the query engine's runtime, whose spill
    // folder is removed only when they are dropped (a 5M-person run that
    // ran out of disk left 13 GB behind in the temporary folder).
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Generate {
            out,
            people,
            seed,
            area_sd,
            difficulties,
            outlier_site,
            region_gap,
            region_trend,
            effect_scale,
        } => commands::generate::generate(datasets::GenerateOptions {
            out,
            people,
            seed,
            area_sd,
            difficulties,
            outlier: outlier_site,
            region: datasets::RegionGap {
                gap: region_gap,
                trend_per_year: region_trend,
            },
            effect_scale,
        }),
        Command::Run {
            data,
            out,
            as_of,
            ballista,
            memory_limit_mib,
            spill_limit_mib,
        } => {
            commands::run::run(
                data,
                out,
                as_of,
                ballista,
                memory_limit_mib.map(|m| m << 20),
                spill_limit_mib.map(|m| m << 20),
            )
            .await
        }
        Command::FitNotes { published, out } => {
            commands::fit_notes::published(published, out).await
        }
        Command::GenerateFitNotes {
            out,
            seed,
            area_sd,
            effect_scale,
            size,
        } => commands::fit_notes::generate(datasets::PublishedFixtureOptions {
            out,
            seed,
            area_sd,
            effect_scale,
            size,
        }),
        Command::Scheduler {
            port,
            bind,
            job_data_ttl_seconds,
        } => cluster::scheduler(&bind, port, job_data_ttl_seconds).await,
        Command::Executor(options) => cluster::executor(options).await,
        Command::Serve {
            evidence,
            data,
            addr,
            access,
        } => commands::serve::serve(&evidence, data.as_deref(), addr, &access).await,
        Command::DisclosureAudit {
            evidence,
            table,
            flips,
        } => {
            if flips {
                commands::disclosure_audit::flips(&evidence).await
            } else {
                commands::disclosure_audit::disclosure_audit(&evidence, &table).await
            }
        }
        Command::User(UserCommand::Add {
            name,
            role,
            users,
            token_only,
        }) => commands::user::add_user(&name, role, &users, token_only),
        Command::Demo {
            dir,
            people,
            addr,
            no_serve,
        } => commands::demo::demo(&dir, people, addr, no_serve).await,
    }
}
